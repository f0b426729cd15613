variable "name" {
  type        = string
  description = "Prefix of the resource names in this module."
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR block of the VPC. Public subnets take its /24 blocks 0, 1, 2 and private subnets 10, 11, 12."
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones that each get a public subnet, a private subnet and a NAT gateway."

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "availability_zones must list at least two zones."
  }
}

variable "app_port" {
  type        = number
  description = "TCP port of the application container, opened from the load balancer to the tasks."
}

variable "db_port" {
  type        = number
  description = "TCP port of the database, opened from the tasks to the database."
  default     = 5432
}

variable "log_retention_days" {
  type        = number
  description = "Retention in days of the flow log group."
}
