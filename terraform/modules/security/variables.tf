variable "name" {
  type        = string
  description = "Prefix of the resource names in this module."
}

variable "log_retention_days" {
  type        = number
  description = "Retention in days of the CloudTrail log group in CloudWatch Logs."
}

variable "trail_retention_days" {
  type        = number
  description = "Days the CloudTrail bucket keeps log files before S3 expires them."
  default     = 365
}
