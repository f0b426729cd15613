variable "name" {
  type        = string
  description = "Prefix of the resource names in this module, and the name of the repository, cluster, service and load balancer."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the target groups."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets of the load balancer, in two or more availability zones."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets of the ECS tasks, in two or more availability zones."
}

variable "alb_security_group_id" {
  type        = string
  description = "Security group of the load balancer."
}

variable "app_security_group_id" {
  type        = string
  description = "Security group of the ECS tasks."
}

variable "alb_certificate_arn" {
  type        = string
  description = "ACM certificate of the HTTPS listener."
}

variable "image_tag" {
  type        = string
  description = "Image tag of the first task definition revision."
}

variable "images_to_keep" {
  type        = number
  description = "Number of newest images the ECR lifecycle policy keeps."
  default     = 50
}

variable "container_port" {
  type        = number
  description = "TCP port the application container listens on."
}

variable "health_check_path" {
  type        = string
  description = "HTTP path of the health endpoint, checked by the container health check and the target groups."
}

variable "task_cpu" {
  type        = number
  description = "Fargate task CPU in CPU units (1024 is one vCPU)."
  default     = 512
}

variable "task_memory" {
  type        = number
  description = "Fargate task memory in MiB. It must be valid for task_cpu."
  default     = 1024
}

variable "desired_count" {
  type        = number
  description = "Number of tasks when the service is created."

  validation {
    condition     = var.desired_count >= 2
    error_message = "desired_count must be at least 2, so one task failure does not take the application down."
  }
}

variable "min_capacity" {
  type        = number
  description = "Minimum number of tasks that autoscaling keeps."

  validation {
    condition     = var.min_capacity >= 2
    error_message = "min_capacity must be at least 2."
  }
}

variable "max_capacity" {
  type        = number
  description = "Maximum number of tasks that autoscaling may start."

  validation {
    condition     = var.max_capacity >= var.min_capacity
    error_message = "max_capacity must be at least min_capacity."
  }
}

variable "cpu_target_value" {
  type        = number
  description = "Average service CPU utilization, in percent, that the target-tracking policy holds."

  validation {
    condition     = var.cpu_target_value > 0 && var.cpu_target_value <= 75
    error_message = "cpu_target_value must be above 0 and at most 75, to leave headroom while new tasks start."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the image repository, the bucket and the secret."
}

variable "db_secret_arn" {
  type        = string
  description = "Secrets Manager secret with the database credentials, injected into the container."
}

variable "app_bucket_arn" {
  type        = string
  description = "ARN of the application bucket the task role may read and write."
}

variable "log_retention_days" {
  type        = number
  description = "Retention in days of the application log group."
}
