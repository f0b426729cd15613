terraform {
  # 1.9 is the first release whose variable validations may refer to other variables (backup_region).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.85 added enable_fault_injection to aws_ecs_task_definition, which the FIS latency experiment needs.
      version = "~> 5.85"
    }
  }
}
