variable "name" {
  type        = string
  description = "Prefix of the resource names in this module, and the name of the CodeDeploy application."
}

variable "source_provider_type" {
  type        = string
  description = "Code host of the CodeStar connection: GitHub, GitHubEnterpriseServer, Bitbucket or GitLab."
  default     = "GitHub"
}

variable "source_repository" {
  type        = string
  description = "Repository the pipeline builds, as owner/name."
}

variable "source_branch" {
  type        = string
  description = "Branch whose commits start the pipeline."
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the artifact bucket and the build."
}

variable "ecr_repository_name" {
  type        = string
  description = "ECR repository the build pushes the image to."
}

variable "ecr_repository_arn" {
  type        = string
  description = "ARN of the ECR repository, the resource of the push permissions."
}

variable "ecs_cluster_name" {
  type        = string
  description = "ECS cluster of the service CodeDeploy deploys to."
}

variable "ecs_service_name" {
  type        = string
  description = "ECS service CodeDeploy deploys to. Its deployment controller must be CODE_DEPLOY."
}

variable "https_listener_arn" {
  type        = string
  description = "Listener whose traffic CodeDeploy shifts from the blue to the green target group."
}

variable "blue_target_group_name" {
  type        = string
  description = "Target group that serves production traffic before the first deployment."
}

variable "green_target_group_name" {
  type        = string
  description = "Target group that receives the replacement tasks of the first deployment."
}

variable "task_role_arn" {
  type        = string
  description = "Task role the pipeline may pass to ECS when it registers a task definition."
}

variable "execution_role_arn" {
  type        = string
  description = "Execution role the pipeline may pass to ECS when it registers a task definition."
}

variable "deployment_config_name" {
  type        = string
  description = "CodeDeploy deployment configuration. Canary or linear shifts expose only part of the traffic to a bad release."
  default     = "CodeDeployDefault.ECSCanary10Percent5Minutes"

  validation {
    condition     = can(regex("Canary|Linear", var.deployment_config_name))
    error_message = "deployment_config_name must be a canary or linear configuration."
  }
}

variable "rollback_alarm_names" {
  type        = list(string)
  description = "CloudWatch alarms that stop a deployment and roll it back."

  validation {
    condition     = length(var.rollback_alarm_names) > 0
    error_message = "rollback_alarm_names must name at least one alarm, or rollback on alarm never happens."
  }
}

variable "artifact_retention_days" {
  type        = number
  description = "Days the artifact bucket keeps pipeline artifacts."
  default     = 30
}

variable "log_retention_days" {
  type        = number
  description = "Retention in days of the build log group."
}
