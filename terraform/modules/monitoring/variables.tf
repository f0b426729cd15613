variable "name" {
  type        = string
  description = "Prefix of the resource names in this module."
}

variable "alarm_email" {
  type        = string
  description = "Email address subscribed to the alarm topic."
}

variable "alb_arn_suffix" {
  type        = string
  description = "ARN suffix of the load balancer, the LoadBalancer dimension of its metrics."
}

variable "ecs_cluster_name" {
  type        = string
  description = "ECS cluster of the service, the ClusterName dimension of its metrics."
}

variable "ecs_service_name" {
  type        = string
  description = "ECS service, the ServiceName dimension of its metrics."
}

variable "db_instance_identifier" {
  type        = string
  description = "RDS instance, the DBInstanceIdentifier dimension of its metrics."
}

variable "alb_5xx_threshold" {
  type        = number
  description = "5xx responses from the targets per minute above which the 5xx alarm fires."
  default     = 10
}

variable "response_time_threshold_seconds" {
  type        = number
  description = "p95 target response time in seconds above which the response time alarm fires."
  default     = 0.5
}

variable "ecs_cpu_threshold" {
  type        = number
  description = "Average service CPU utilization in percent above which the ECS CPU alarm fires."
  default     = 85
}

variable "ecs_memory_threshold" {
  type        = number
  description = "Average service memory utilization in percent above which the ECS memory alarm fires."
  default     = 85
}

variable "rds_cpu_threshold" {
  type        = number
  description = "Average database CPU utilization in percent above which the RDS CPU alarm fires."
  default     = 80
}

variable "rds_free_storage_threshold_gib" {
  type        = number
  description = "Free database storage in GiB below which the RDS storage alarm fires."
  default     = 10
}
