output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key in the primary region."
  value       = aws_kms_key.primary.arn
}

output "backup_kms_key_arn" {
  description = "ARN of the customer-managed KMS key in the backup region."
  value       = aws_kms_key.backup.arn
}

output "db_instance_identifier" {
  description = "Identifier of the RDS instance."
  value       = aws_db_instance.main.identifier
}

output "db_instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.main.arn
}

output "db_instance_address" {
  description = "DNS address of the RDS instance."
  value       = aws_db_instance.main.address
}

output "db_subnet_group_name" {
  description = "Name of the database subnet group."
  value       = aws_db_subnet_group.main.name
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret with the database credentials."
  value       = aws_secretsmanager_secret.db.arn
}

output "app_bucket_name" {
  description = "Name of the application bucket."
  value       = aws_s3_bucket.app.bucket
}

output "app_bucket_arn" {
  description = "ARN of the application bucket."
  value       = aws_s3_bucket.app.arn
}

output "app_bucket_regional_domain_name" {
  description = "Regional domain name of the application bucket, used as the CloudFront S3 origin."
  value       = aws_s3_bucket.app.bucket_regional_domain_name
}

output "replica_bucket_name" {
  description = "Name of the replica bucket in the backup region."
  value       = aws_s3_bucket.replica.bucket
}

output "replica_bucket_arn" {
  description = "ARN of the replica bucket in the backup region."
  value       = aws_s3_bucket.replica.arn
}
