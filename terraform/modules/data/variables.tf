variable "name" {
  type        = string
  description = "Prefix of the resource names in this module."
}

variable "backup_region" {
  type        = string
  description = "Region of the aws.backup provider, where the replica bucket, the secret replica and the second KMS key live."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets for the database subnet group and the rotation Lambda."
}

variable "db_security_group_id" {
  type        = string
  description = "Security group of the database."
}

variable "rotation_security_group_id" {
  type        = string
  description = "Security group of the secret rotation Lambda. It must be a group the database admits, which in this stack is the application's group."
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class of the database."
}

variable "db_engine_version" {
  type        = string
  description = "PostgreSQL engine version, major only or major.minor."
}

variable "db_allocated_storage" {
  type        = number
  description = "Initial database storage in GiB."
}

variable "db_max_allocated_storage" {
  type        = number
  description = "Upper limit in GiB for storage autoscaling."

  validation {
    condition     = var.db_max_allocated_storage > var.db_allocated_storage
    error_message = "db_max_allocated_storage must be larger than db_allocated_storage, or RDS storage autoscaling stays off."
  }
}

variable "db_name" {
  type        = string
  description = "Name of the application database created in the instance."
  default     = "app"
}

variable "db_username" {
  type        = string
  description = "Master user name of the database."
  default     = "app_admin"
}

variable "secret_rotation_application_id" {
  type        = string
  description = "ARN of the Serverless Application Repository application SecretsManagerRDSPostgreSQLRotationSingleUser."
}

variable "secret_rotation_days" {
  type        = number
  description = "Days between automatic rotations of the database secret."
  default     = 30

  validation {
    condition     = var.secret_rotation_days >= 1 && var.secret_rotation_days <= 90
    error_message = "secret_rotation_days must be between 1 and 90."
  }
}

variable "cloudfront_distribution_arn" {
  type        = string
  description = "ARN of the CloudFront distribution that may read static/* from the application bucket through origin access control."
}
