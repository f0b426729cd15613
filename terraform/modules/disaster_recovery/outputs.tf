output "backup_vault_name" {
  description = "Name of the backup vault in the primary region."
  value       = aws_backup_vault.primary.name
}

output "backup_vault_arn" {
  description = "ARN of the backup vault in the primary region."
  value       = aws_backup_vault.primary.arn
}

output "backup_copy_vault_arn" {
  description = "ARN of the vault in the backup region that receives the copies."
  value       = aws_backup_vault.copy.arn
}

output "backup_plan_id" {
  description = "ID of the backup plan."
  value       = aws_backup_plan.main.id
}

output "restore_role_arn" {
  description = "ARN of the IAM role AWS Backup assumes to restore."
  value       = aws_iam_role.restore.arn
}

output "chaos_lambda_name" {
  description = "Name of the chaos Lambda function."
  value       = aws_lambda_function.chaos.function_name
}

output "fis_experiment_template_id" {
  description = "ID of the FIS task network latency experiment template."
  value       = aws_fis_experiment_template.task_latency.id
}
