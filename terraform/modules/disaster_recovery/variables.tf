variable "name" {
  type        = string
  description = "Prefix of the resource names in this module."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the backup vault in the primary region."
}

variable "backup_kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the copy vault in the backup region."
}

variable "db_instance_arn" {
  type        = string
  description = "ARN of the RDS instance the backup plan covers."
}

variable "app_bucket_arn" {
  type        = string
  description = "ARN of the application bucket the backup plan covers. AWS Backup needs versioning on it."
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic that receives the backup vault's job notifications."
}

variable "daily_schedule" {
  type        = string
  description = "Cron expression of the daily backup, in UTC."
  default     = "cron(0 3 * * ? *)"
}

variable "weekly_schedule" {
  type        = string
  description = "Cron expression of the weekly backup, in UTC."
  default     = "cron(0 4 ? * SUN *)"
}

variable "monthly_schedule" {
  type        = string
  description = "Cron expression of the monthly backup, in UTC."
  default     = "cron(0 5 1 * ? *)"
}

variable "ecs_cluster_name" {
  type        = string
  description = "ECS cluster whose tasks the chaos experiment targets."
}

variable "ecs_cluster_arn" {
  type        = string
  description = "ARN of the ECS cluster, to limit the chaos Lambda's ECS permissions to it."
}

variable "ecs_service_name" {
  type        = string
  description = "ECS service whose tasks the chaos experiment targets."
}

variable "stop_condition_alarm_arns" {
  type        = list(string)
  description = "CloudWatch alarms that stop the FIS experiment when one goes into ALARM: at least the load balancer's 5xx and response-time alarms."
}

variable "latency_milliseconds" {
  type        = number
  description = "Network latency in milliseconds that the experiment adds to the targeted tasks."
  default     = 200
}

variable "experiment_duration" {
  type        = string
  description = "Duration of the latency experiment, as an ISO 8601 duration."
  default     = "PT5M"
}

variable "chaos_lambda_package" {
  type        = string
  description = "Path of the zip file that holds the chaos Lambda's code."
}

variable "chaos_lambda_handler" {
  type        = string
  description = "Handler of the chaos Lambda, as module.function inside the zip file."
  default     = "chaos.handler"
}

variable "chaos_schedule_enabled" {
  type        = bool
  description = "Whether the schedule invokes the chaos Lambda."
}

variable "chaos_schedule_expression" {
  type        = string
  description = "EventBridge Scheduler expression of the chaos runs."
}

variable "log_retention_days" {
  type        = number
  description = "Retention in days of the chaos Lambda's log group."
}
