# Application data: the PostgreSQL database and its credentials secret, the application bucket
# with its replica in the backup region, and a customer-managed KMS key in each region.

terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.backup]
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id          = data.aws_caller_identity.current.account_id
  app_bucket_name     = "${var.name}-app-${local.account_id}-${data.aws_region.current.name}"
  replica_bucket_name = "${var.name}-app-replica-${local.account_id}-${var.backup_region}"
}

# --- KMS keys ------------------------------------------------------------------------------

resource "aws_kms_key" "primary" {
  description             = "${var.name}: database, application bucket, secret and backups in the primary region"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "primary" {
  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.primary.key_id
}

data "aws_iam_policy_document" "primary_key" {
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudFront reads SSE-KMS objects through origin access control only if the key lets it decrypt.
  statement {
    sid       = "CloudFrontDecryptsStaticAssets"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [var.cloudfront_distribution_arn]
    }
  }
}

# The policy is a separate resource so the key exists before the distribution that the policy names.
resource "aws_kms_key_policy" "primary" {
  key_id = aws_kms_key.primary.id
  policy = data.aws_iam_policy_document.primary_key.json
}

resource "aws_kms_key" "backup" {
  provider = aws.backup

  description             = "${var.name}: bucket replica, secret replica and backup copies in the backup region"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "backup" {
  provider = aws.backup

  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.backup.key_id
}

# --- Database credentials ------------------------------------------------------------------

# The data source returns a new password on every plan. ignore_changes below keeps the first one,
# and the rotation Lambda replaces it on its schedule.
data "aws_secretsmanager_random_password" "db" {
  password_length     = 32
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "${var.name}/database/master"
  description             = "Master credentials of the ${var.name} PostgreSQL database"
  kms_key_id              = aws_kms_key.primary.arn
  recovery_window_in_days = 30

  # The replica lets the application read its credentials after failing over to the backup region.
  replica {
    region     = var.backup_region
    kms_key_id = aws_kms_key.backup.arn
  }
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = aws_db_instance.main.address
    port     = aws_db_instance.main.port
    dbname   = var.db_name
    username = var.db_username
    password = data.aws_secretsmanager_random_password.db.random_password
  })

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# AWS publishes the PostgreSQL single-user rotation function in the Serverless Application
# Repository. It runs in the application's security group, the only one the database admits.
resource "aws_serverlessapplicationrepository_cloudformation_stack" "rotation" {
  name           = "${var.name}-db-secret-rotation"
  application_id = var.secret_rotation_application_id
  capabilities   = ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]

  parameters = {
    functionName        = "${var.name}-db-secret-rotation"
    endpoint            = "https://secretsmanager.${data.aws_region.current.name}.${data.aws_partition.current.dns_suffix}"
    kmsKeyArn           = aws_kms_key.primary.arn
    vpcSubnetIds        = join(",", var.private_subnet_ids)
    vpcSecurityGroupIds = var.rotation_security_group_id
  }
}

resource "aws_secretsmanager_secret_rotation" "db" {
  secret_id           = aws_secretsmanager_secret.db.id
  rotation_lambda_arn = aws_serverlessapplicationrepository_cloudformation_stack.rotation.outputs["RotationLambdaARN"]

  rotation_rules {
    automatically_after_days = var.secret_rotation_days
  }

  depends_on = [aws_secretsmanager_secret_version.db]
}

# --- Database ------------------------------------------------------------------------------

resource "aws_db_subnet_group" "main" {
  name        = "${var.name}-database"
  description = "Private subnets of the ${var.name} database"
  subnet_ids  = var.private_subnet_ids
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${var.name}-rds-enhanced-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "main" {
  identifier     = "${var.name}-database"
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class
  db_name        = var.db_name
  username       = var.db_username
  password       = data.aws_secretsmanager_random_password.db.random_password
  port           = 5432

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.primary.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [var.db_security_group_id]
  publicly_accessible    = false

  backup_retention_period   = 14
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-database-final"

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.primary.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  auto_minor_version_upgrade = true
  apply_immediately          = false

  lifecycle {
    ignore_changes = [password]
  }
}

# --- Application bucket and its replica ----------------------------------------------------

# Block public access account-wide as well, so a bucket created outside this stack is covered too.
resource "aws_s3_account_public_access_block" "account" {
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket" "app" {
  bucket = local.app_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "app" {
  bucket = aws_s3_bucket.app.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "app" {
  bucket = aws_s3_bucket.app.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "app" {
  bucket = aws_s3_bucket.app.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "app" {
  bucket = aws_s3_bucket.app.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.primary.arn
    }
  }
}

data "aws_iam_policy_document" "app_bucket" {
  statement {
    sid       = "DenyRequestsWithoutTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.app.arn, "${aws_s3_bucket.app.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "CloudFrontReadsStaticAssets"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.app.arn}/static/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [var.cloudfront_distribution_arn]
    }
  }
}

resource "aws_s3_bucket_policy" "app" {
  bucket = aws_s3_bucket.app.id
  policy = data.aws_iam_policy_document.app_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.app]
}

resource "aws_s3_bucket" "replica" {
  provider = aws.backup

  bucket = local.replica_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "replica" {
  provider = aws.backup

  bucket = aws_s3_bucket.replica.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "replica" {
  provider = aws.backup

  bucket = aws_s3_bucket.replica.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "replica" {
  provider = aws.backup

  bucket = aws_s3_bucket.replica.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "replica" {
  provider = aws.backup

  bucket = aws_s3_bucket.replica.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.backup.arn
    }
  }
}

data "aws_iam_policy_document" "replica_bucket" {
  statement {
    sid       = "DenyRequestsWithoutTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.replica.arn, "${aws_s3_bucket.replica.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "replica" {
  provider = aws.backup

  bucket = aws_s3_bucket.replica.id
  policy = data.aws_iam_policy_document.replica_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.replica]
}

data "aws_iam_policy_document" "replication_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "replication" {
  statement {
    sid       = "ReadSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [aws_s3_bucket.app.arn]
  }

  statement {
    sid = "ReadSourceObjects"
    actions = [
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectVersionTagging",
    ]
    resources = ["${aws_s3_bucket.app.arn}/*"]
  }

  statement {
    sid = "WriteReplicaObjects"
    actions = [
      "s3:ReplicateObject",
      "s3:ReplicateDelete",
      "s3:ReplicateTags",
    ]
    resources = ["${aws_s3_bucket.replica.arn}/*"]
  }

  statement {
    sid       = "DecryptSourceObjects"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.primary.arn]
  }

  statement {
    sid       = "EncryptReplicaObjects"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.backup.arn]
  }
}

resource "aws_iam_role" "replication" {
  name               = "${var.name}-app-bucket-replication"
  assume_role_policy = data.aws_iam_policy_document.replication_assume.json
}

resource "aws_iam_role_policy" "replication" {
  name   = "replicate-app-bucket"
  role   = aws_iam_role.replication.id
  policy = data.aws_iam_policy_document.replication.json
}

resource "aws_s3_bucket_replication_configuration" "app" {
  bucket = aws_s3_bucket.app.id
  role   = aws_iam_role.replication.arn

  rule {
    id     = "all-objects-to-backup-region"
    status = "Enabled"

    # An empty filter replicates every object, where a prefix would silently leave objects out.
    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = aws_s3_bucket.replica.arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.backup.arn
      }

      # Replication Time Control needs the metrics, and the metrics make a stalled replication visible.
      metrics {
        status = "Enabled"

        event_threshold {
          minutes = 15
        }
      }

      replication_time {
        status = "Enabled"

        time {
          minutes = 15
        }
      }
    }
  }

  # S3 rejects a replication configuration until versioning is on at both ends.
  depends_on = [aws_s3_bucket_versioning.app, aws_s3_bucket_versioning.replica]
}
