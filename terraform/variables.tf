variable "name" {
  type        = string
  description = "Prefix of every resource name, such as the VPC, the cluster and the buckets."
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name))
    error_message = "name must be 2 to 15 lowercase letters, digits or hyphens and start with a letter, because the target group names built from it are limited to 32 characters."
  }
}

variable "region" {
  type        = string
  description = "Primary AWS region of the stack. It has no default, so that no region is hard-coded. Set it in a tfvars file."
}

variable "backup_region" {
  type        = string
  description = "AWS region that receives backup copies, the bucket replica, the secret replica and a second GuardDuty detector."

  validation {
    condition     = var.backup_region != var.region
    error_message = "backup_region must differ from region, or a regional outage takes the backups down with the stack."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags that every provider adds to every taggable resource through default_tags."
  default = {
    project     = "launch-readiness-reference"
    environment = "production"
    owner       = "platform-team"
  }
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR block of the application VPC. The network module splits it into /24 subnets."
  default     = "10.20.0.0/16"
}

variable "az_count" {
  type        = number
  description = "Number of availability zones that get a public subnet, a private subnet and a NAT gateway."
  default     = 3

  validation {
    condition     = var.az_count >= 2
    error_message = "az_count must be at least 2, because the ALB and a Multi-AZ database need subnets in two zones."
  }
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the application, served by CloudFront. The ALB origin is reached at origin.<domain_name>."
}

variable "hosted_zone_id" {
  type        = string
  description = "ID of the Route 53 hosted zone that contains domain_name."
}

variable "alb_certificate_arn" {
  type        = string
  description = "ARN of an ACM certificate in the primary region for the ALB HTTPS listener. It must cover origin.<domain_name>."
}

variable "cloudfront_certificate_arn" {
  type        = string
  description = "ARN of an ACM certificate for CloudFront. CloudFront accepts only certificates issued in US East (N. Virginia), and it must cover domain_name."
}

variable "alarm_email" {
  type        = string
  description = "Email address subscribed to the alarm topic. SNS delivers nothing until someone confirms the subscription from the message it sends."
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class of the PostgreSQL database."
  default     = "db.r6g.large"
}

variable "db_engine_version" {
  type        = string
  description = "PostgreSQL engine version. A major version alone lets RDS pick its default minor version."
  default     = "16"
}

variable "db_allocated_storage" {
  type        = number
  description = "Initial database storage in GiB."
  default     = 100
}

variable "db_max_allocated_storage" {
  type        = number
  description = "Upper limit in GiB for RDS storage autoscaling. It must be larger than db_allocated_storage."
  default     = 500
}

variable "secret_rotation_application_id" {
  type        = string
  description = "ARN of the Serverless Application Repository application SecretsManagerRDSPostgreSQLRotationSingleUser, which AWS publishes. See examples/production.tfvars.example."
}

variable "image_tag" {
  type        = string
  description = "Image tag of the first task definition revision. Later revisions come from the pipeline. The tag must already exist in the ECR repository."
}

variable "container_port" {
  type        = number
  description = "TCP port the application container listens on."
  default     = 8080
}

variable "health_check_path" {
  type        = string
  description = "HTTP path of the application's health endpoint, used by the container, the target group and health_url."
  default     = "/health"
}

variable "desired_count" {
  type        = number
  description = "Number of ECS tasks when the service is created. Autoscaling changes it afterwards."
  default     = 2
}

variable "min_capacity" {
  type        = number
  description = "Minimum number of ECS tasks that autoscaling keeps."
  default     = 2
}

variable "max_capacity" {
  type        = number
  description = "Maximum number of ECS tasks that autoscaling may start."
  default     = 20
}

variable "cpu_target_value" {
  type        = number
  description = "Average service CPU utilization, in percent, that the target-tracking policy holds."
  default     = 60
}

variable "log_retention_days" {
  type        = number
  description = "Retention in days of every CloudWatch Logs group of the stack."
  default     = 90
}

variable "waf_rate_limit" {
  type        = number
  description = "Requests per client IP in any 5-minute window above which both web ACLs block the client."
  default     = 2000
}

variable "source_repository" {
  type        = string
  description = "Repository the pipeline builds, as owner/name on the code host of the CodeStar connection."
}

variable "source_branch" {
  type        = string
  description = "Branch of source_repository whose commits start the pipeline."
  default     = "main"
}

variable "chaos_lambda_package" {
  type        = string
  description = "Path of the zip file that holds the chaos Lambda's code."
}

variable "chaos_schedule_enabled" {
  type        = bool
  description = "Whether EventBridge Scheduler invokes the chaos Lambda on chaos_schedule_expression. Off by default, so experiments run only when someone starts them."
  default     = false
}

variable "chaos_schedule_expression" {
  type        = string
  description = "EventBridge Scheduler expression for scheduled chaos experiments."
  default     = "cron(0 10 ? * TUE *)"
}
