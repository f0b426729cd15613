output "cloudtrail_name" {
  description = "Name of the multi-region CloudTrail trail."
  value       = aws_cloudtrail.main.name
}

output "cloudtrail_arn" {
  description = "ARN of the multi-region CloudTrail trail."
  value       = aws_cloudtrail.main.arn
}

output "cloudtrail_log_group_name" {
  description = "Name of the CloudWatch Logs group CloudTrail delivers to."
  value       = aws_cloudwatch_log_group.cloudtrail.name
}

output "cloudtrail_bucket_name" {
  description = "Name of the S3 bucket with the CloudTrail log files."
  value       = aws_s3_bucket.cloudtrail.bucket
}

output "cloudtrail_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the CloudTrail log files."
  value       = aws_kms_key.cloudtrail.arn
}

output "guardduty_detector_ids" {
  description = "IDs of the GuardDuty detectors, by region role: primary and backup."
  value = {
    primary = aws_guardduty_detector.primary.id
    backup  = aws_guardduty_detector.backup.id
  }
}
