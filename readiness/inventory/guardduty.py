"""GuardDuty: the detectors of a region with their status."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector


@collector("guardduty")
class GuardDuty(Collector):
    service = "guardduty"

    def detectors(self, region: str) -> list[dict]:
        """Return each detector of a region as GetDetector returns it, with its DetectorId added."""

        def load():
            detector_ids = self.paginate("list_detectors", "DetectorIds", region=region)
            return [{"DetectorId": detector_id, **self.call("get_detector", region=region, DetectorId=detector_id)}
                    for detector_id in detector_ids]

        return self.read(f"detectors:{region}", load)
