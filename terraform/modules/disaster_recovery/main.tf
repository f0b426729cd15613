# Disaster recovery: AWS Backup vaults in both regions, a daily/weekly/monthly plan that copies
# every recovery point to the backup region, the restore role, failure notifications, and the
# chaos tooling (a Lambda function and a FIS experiment template) used on game days.

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
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  # Rule name => schedule and retention. Copies in the backup region keep the same retention.
  backup_rules = {
    daily = {
      schedule    = var.daily_schedule
      delete_days = 30
    }
    weekly = {
      schedule    = var.weekly_schedule
      delete_days = 90
    }
    monthly = {
      schedule    = var.monthly_schedule
      delete_days = 365
    }
  }
  chaos_function_name = "${var.name}-chaos"
}

# --- Vaults and plan -----------------------------------------------------------------------

resource "aws_backup_vault" "primary" {
  name        = "${var.name}-backup-vault"
  kms_key_arn = var.kms_key_arn
}

resource "aws_backup_vault" "copy" {
  provider = aws.backup

  name        = "${var.name}-backup-copy-vault"
  kms_key_arn = var.backup_kms_key_arn
}

resource "aws_backup_plan" "main" {
  name = "${var.name}-backup-plan"

  dynamic "rule" {
    for_each = local.backup_rules

    content {
      rule_name         = rule.key
      target_vault_name = aws_backup_vault.primary.name
      schedule          = rule.value.schedule
      start_window      = 60
      completion_window = 360

      lifecycle {
        delete_after = rule.value.delete_days
      }

      copy_action {
        destination_vault_arn = aws_backup_vault.copy.arn

        lifecycle {
          delete_after = rule.value.delete_days
        }
      }
    }
  }
}

data "aws_iam_policy_document" "backup_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  name               = "${var.name}-backup"
  assume_role_policy = data.aws_iam_policy_document.backup_assume.json
}

# S3 backups need their own managed policy next to the general one.
resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "arn:${local.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:${local.partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
  ])

  role       = aws_iam_role.backup.name
  policy_arn = each.value
}

resource "aws_backup_selection" "main" {
  name         = "${var.name}-database-and-bucket"
  plan_id      = aws_backup_plan.main.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [var.db_instance_arn, var.app_bucket_arn]
}

# A separate role for restores, so drills and recoveries cannot create backups or change plans.
resource "aws_iam_role" "restore" {
  name               = "${var.name}-backup-restore"
  assume_role_policy = data.aws_iam_policy_document.backup_assume.json
}

resource "aws_iam_role_policy_attachment" "restore" {
  for_each = toset([
    "arn:${local.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:${local.partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
  ])

  role       = aws_iam_role.restore.name
  policy_arn = each.value
}

# AWS Backup reports a failed backup job as BACKUP_JOB_COMPLETED with state FAILED, so that event
# is needed to hear about failures. Copy and restore failures have events of their own.
resource "aws_backup_vault_notifications" "primary" {
  backup_vault_name = aws_backup_vault.primary.name
  sns_topic_arn     = var.alarm_topic_arn
  backup_vault_events = [
    "BACKUP_JOB_COMPLETED",
    "COPY_JOB_FAILED",
    "RESTORE_JOB_COMPLETED",
    "S3_BACKUP_OBJECT_FAILED",
    "S3_RESTORE_OBJECT_FAILED",
  ]
}

# --- Chaos experiment ----------------------------------------------------------------------

data "aws_iam_policy_document" "fis_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["fis.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fis" {
  name               = "${var.name}-fis"
  assume_role_policy = data.aws_iam_policy_document.fis_assume.json
}

resource "aws_iam_role_policy_attachment" "fis" {
  role       = aws_iam_role.fis.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSFaultInjectionSimulatorECSAccess"
}

# NOTE: on Fargate the network actions need enable_fault_injection on the task definition
# (set in the application module) and useEcsFaultInjectionEndpoints here.
resource "aws_fis_experiment_template" "task_latency" {
  description = "Adds ${var.latency_milliseconds} ms of network latency to half of the ${var.ecs_service_name} tasks"
  role_arn    = aws_iam_role.fis.arn

  dynamic "stop_condition" {
    for_each = var.stop_condition_alarm_arns
    content {
      source = "aws:cloudwatch:alarm"
      value  = stop_condition.value
    }
  }

  action {
    name      = "task-network-latency"
    action_id = "aws:ecs:task-network-latency"

    parameter {
      key   = "duration"
      value = var.experiment_duration
    }

    parameter {
      key   = "delayMilliseconds"
      value = tostring(var.latency_milliseconds)
    }

    parameter {
      key   = "useEcsFaultInjectionEndpoints"
      value = "true"
    }

    target {
      key   = "Tasks"
      value = "service-tasks"
    }
  }

  target {
    name           = "service-tasks"
    resource_type  = "aws:ecs:task"
    selection_mode = "PERCENT(50)"

    parameters = {
      cluster = var.ecs_cluster_name
      service = var.ecs_service_name
    }
  }

  tags = {
    Name = "${var.name}-task-network-latency"
  }
}

# --- Chaos Lambda --------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "chaos" {
  statement {
    sid       = "WriteFunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.chaos.arn}:*"]
  }

  # The template resource exports no ARN, so it is built from the template ID.
  statement {
    sid     = "StartLatencyExperiment"
    actions = ["fis:StartExperiment"]
    resources = [
      "arn:${local.partition}:fis:${data.aws_region.current.name}:${local.account_id}:experiment-template/${aws_fis_experiment_template.task_latency.id}",
      "arn:${local.partition}:fis:${data.aws_region.current.name}:${local.account_id}:experiment/*",
    ]
  }

  statement {
    sid       = "FollowExperiments"
    actions   = ["fis:GetExperiment", "fis:ListExperiments", "fis:StopExperiment"]
    resources = ["*"]
  }

  statement {
    sid       = "ListServiceTasks"
    actions   = ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:DescribeServices"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.ecs_cluster_arn]
    }
  }

  statement {
    sid       = "StopOneTask"
    actions   = ["ecs:StopTask"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.ecs_cluster_arn]
    }
  }

  # The scaling experiment raises the desired count and restores it in its rollback.
  statement {
    sid       = "ScaleService"
    actions   = ["ecs:UpdateService"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.ecs_cluster_arn]
    }
  }

  statement {
    sid       = "PublishChaosMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["LaunchReadiness/Chaos"]
    }
  }
}

resource "aws_iam_role" "chaos" {
  name               = local.chaos_function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "chaos" {
  name   = "run-chaos-experiments"
  role   = aws_iam_role.chaos.id
  policy = data.aws_iam_policy_document.chaos.json
}

resource "aws_cloudwatch_log_group" "chaos" {
  name              = "/aws/lambda/${local.chaos_function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "chaos" {
  function_name    = local.chaos_function_name
  description      = "Starts the task latency experiment or stops one task of ${var.ecs_service_name}"
  role             = aws_iam_role.chaos.arn
  runtime          = "python3.12"
  handler          = var.chaos_lambda_handler
  filename         = var.chaos_lambda_package
  source_code_hash = filebase64sha256(var.chaos_lambda_package)
  timeout          = 300
  memory_size      = 256

  # One experiment at a time: a second concurrent run would compound the fault.
  reserved_concurrent_executions = 1

  environment {
    variables = {
      CLUSTER_NAME           = var.ecs_cluster_name
      SERVICE_NAME           = var.ecs_service_name
      EXPERIMENT_TEMPLATE_ID = aws_fis_experiment_template.task_latency.id
    }
  }

  depends_on = [aws_cloudwatch_log_group.chaos, aws_iam_role_policy.chaos]
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.chaos.arn]
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.chaos_function_name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke-chaos-function"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "chaos" {
  name                = local.chaos_function_name
  description         = "Scheduled chaos experiment against ${var.ecs_service_name}"
  schedule_expression = var.chaos_schedule_expression
  state               = var.chaos_schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.chaos.arn
    role_arn = aws_iam_role.scheduler.arn
  }
}
