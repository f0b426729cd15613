"""Twin extension: keep the CloudFront origin settings that moto drops from its responses."""

from __future__ import annotations

from moto.cloudfront import models as cloudfront_models


def install() -> None:
    """Make moto's Origin keep OriginAccessControlId and S3OriginConfig, so reads return them."""
    original_init = cloudfront_models.Origin.__init__

    def init(self, origin: dict) -> None:
        original_init(self, origin)

        # moto 5.2.5 validates both settings and then leaves them out of every response. The
        # serializer reads the snake_case attribute of each field the API model names.
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""
        if "S3OriginConfig" in origin:
            s3_config = origin["S3OriginConfig"] or {}
            self.s3_origin_config = {"OriginAccessIdentity": s3_config.get("OriginAccessIdentity") or ""}

    cloudfront_models.Origin.__init__ = init
