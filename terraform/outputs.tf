# The outputs contract: exactly the keys of OUTPUT_KEYS in readiness/terraform.py, which the
# launch-readiness suite reads with `terraform output -json`.

output "region" {
  description = "Primary AWS region of the stack."
  value       = var.region
}

output "backup_region" {
  description = "AWS region that holds the backup copies and the replicas."
  value       = var.backup_region
}

output "vpc_id" {
  description = "ID of the application VPC."
  value       = module.network.vpc_id
}

output "db_instance_identifier" {
  description = "Identifier of the RDS instance of the application database."
  value       = module.data.db_instance_identifier
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster that runs the application."
  value       = module.application.ecs_cluster_name
}

output "ecs_service_name" {
  description = "Name of the ECS service of the application."
  value       = module.application.ecs_service_name
}

output "alb_arn" {
  description = "ARN of the application load balancer in front of the service."
  value       = module.application.alb_arn
}

# NOTE: this is the blue target group. After a CodeDeploy deployment the service's tasks may be
# registered with the green one, named by module.application.green_target_group_name.
output "target_group_arn" {
  description = "ARN of the target group the service registers its tasks with when it is created."
  value       = module.application.target_group_arn
}

output "app_bucket_name" {
  description = "Name of the S3 bucket with the application's data and static assets."
  value       = module.data.app_bucket_name
}

output "replica_bucket_name" {
  description = "Name of the replica of the application bucket in the backup region."
  value       = module.data.replica_bucket_name
}

output "cloudfront_distribution_id" {
  description = "ID of the CloudFront distribution serving the application."
  value       = module.edge.cloudfront_distribution_id
}

output "backup_vault_name" {
  description = "Name of the AWS Backup vault in the primary region."
  value       = module.disaster_recovery.backup_vault_name
}

output "backup_copy_vault_arn" {
  description = "ARN of the AWS Backup vault in the backup region that receives the copies."
  value       = module.disaster_recovery.backup_copy_vault_arn
}

output "backup_plan_id" {
  description = "ID of the AWS Backup plan covering the database and the bucket."
  value       = module.disaster_recovery.backup_plan_id
}

output "backup_restore_role_arn" {
  description = "ARN of the IAM role AWS Backup assumes to restore."
  value       = module.disaster_recovery.restore_role_arn
}

output "cloudtrail_name" {
  description = "Name of the multi-region CloudTrail trail."
  value       = module.security.cloudtrail_name
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms notify."
  value       = module.monitoring.alarm_topic_arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard of the stack."
  value       = module.monitoring.dashboard_name
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret with the database credentials."
  value       = module.data.db_secret_arn
}

output "ecr_repository_name" {
  description = "Name of the ECR repository of the application image."
  value       = module.application.ecr_repository_name
}

output "pipeline_name" {
  description = "Name of the CodePipeline delivery pipeline."
  value       = module.delivery.pipeline_name
}

output "codedeploy_app_name" {
  description = "Name of the CodeDeploy application."
  value       = module.delivery.codedeploy_app_name
}

output "codedeploy_group_name" {
  description = "Name of the CodeDeploy deployment group of the ECS service."
  value       = module.delivery.codedeploy_group_name
}

output "chaos_lambda_name" {
  description = "Name of the Lambda function that runs scheduled chaos experiments."
  value       = module.disaster_recovery.chaos_lambda_name
}

output "app_log_group_name" {
  description = "Name of the CloudWatch Logs group of the application."
  value       = module.application.app_log_group_name
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch Logs group of the VPC flow logs."
  value       = module.network.flow_log_group_name
}

output "cloudtrail_log_group_name" {
  description = "Name of the CloudWatch Logs group CloudTrail delivers to."
  value       = module.security.cloudtrail_log_group_name
}

output "health_url" {
  description = "Public HTTPS URL of the application's health endpoint."
  value       = module.edge.health_url
}
