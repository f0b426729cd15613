# Reference production stack: the AWS resources the launch-readiness checks expect to find.
# Regions come from variables. The one exception is the us_east_1 provider, because AWS serves
# CLOUDFRONT-scope web ACLs and CloudFront certificates only from that region.

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

provider "aws" {
  alias  = "backup"
  region = var.backup_region

  default_tags {
    tags = var.tags
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = var.tags
  }
}

data "aws_availability_zones" "available" {
  state = "available"

  # Local Zones and Wavelength Zones are opt-in and lack NAT gateways and RDS Multi-AZ.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  availability_zones = slice(data.aws_availability_zones.available.names, 0, var.az_count)
}

module "network" {
  source = "./modules/network"

  name               = var.name
  vpc_cidr           = var.vpc_cidr
  availability_zones = local.availability_zones
  app_port           = var.container_port
  log_retention_days = var.log_retention_days
}

module "security" {
  source = "./modules/security"

  providers = {
    aws        = aws
    aws.backup = aws.backup
  }

  name               = var.name
  log_retention_days = var.log_retention_days
}

# module.data and module.edge refer to each other's outputs: the bucket policy and the key policy
# name the distribution, and the distribution names the bucket. Terraform orders the individual
# resources, not whole modules, and no resource cycle results.
module "data" {
  source = "./modules/data"

  providers = {
    aws        = aws
    aws.backup = aws.backup
  }

  name                           = var.name
  backup_region                  = var.backup_region
  private_subnet_ids             = module.network.private_subnet_ids
  db_security_group_id           = module.network.db_security_group_id
  rotation_security_group_id     = module.network.app_security_group_id
  db_instance_class              = var.db_instance_class
  db_engine_version              = var.db_engine_version
  db_allocated_storage           = var.db_allocated_storage
  db_max_allocated_storage       = var.db_max_allocated_storage
  secret_rotation_application_id = var.secret_rotation_application_id
  cloudfront_distribution_arn    = module.edge.cloudfront_distribution_arn
}

module "application" {
  source = "./modules/application"

  name                  = var.name
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.public_subnet_ids
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.network.alb_security_group_id
  app_security_group_id = module.network.app_security_group_id
  alb_certificate_arn   = var.alb_certificate_arn
  image_tag             = var.image_tag
  container_port        = var.container_port
  health_check_path     = var.health_check_path
  desired_count         = var.desired_count
  min_capacity          = var.min_capacity
  max_capacity          = var.max_capacity
  cpu_target_value      = var.cpu_target_value
  kms_key_arn           = module.data.kms_key_arn
  db_secret_arn         = module.data.db_secret_arn
  app_bucket_arn        = module.data.app_bucket_arn
  log_retention_days    = var.log_retention_days
}

module "edge" {
  source = "./modules/edge"

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                            = var.name
  domain_name                     = var.domain_name
  hosted_zone_id                  = var.hosted_zone_id
  cloudfront_certificate_arn      = var.cloudfront_certificate_arn
  alb_arn                         = module.application.alb_arn
  alb_dns_name                    = module.application.alb_dns_name
  alb_zone_id                     = module.application.alb_zone_id
  app_bucket_regional_domain_name = module.data.app_bucket_regional_domain_name
  health_check_path               = var.health_check_path
  waf_rate_limit                  = var.waf_rate_limit
}

module "monitoring" {
  source = "./modules/monitoring"

  name                   = var.name
  alarm_email            = var.alarm_email
  alb_arn_suffix         = module.application.alb_arn_suffix
  ecs_cluster_name       = module.application.ecs_cluster_name
  ecs_service_name       = module.application.ecs_service_name
  db_instance_identifier = module.data.db_instance_identifier
}

module "delivery" {
  source = "./modules/delivery"

  name                    = var.name
  source_repository       = var.source_repository
  source_branch           = var.source_branch
  kms_key_arn             = module.data.kms_key_arn
  ecr_repository_name     = module.application.ecr_repository_name
  ecr_repository_arn      = module.application.ecr_repository_arn
  ecs_cluster_name        = module.application.ecs_cluster_name
  ecs_service_name        = module.application.ecs_service_name
  https_listener_arn      = module.application.https_listener_arn
  blue_target_group_name  = module.application.blue_target_group_name
  green_target_group_name = module.application.green_target_group_name
  task_role_arn           = module.application.task_role_arn
  execution_role_arn      = module.application.execution_role_arn
  rollback_alarm_names    = module.monitoring.deployment_alarm_names
  log_retention_days      = var.log_retention_days
}

module "disaster_recovery" {
  source = "./modules/disaster_recovery"

  providers = {
    aws        = aws
    aws.backup = aws.backup
  }

  name                      = var.name
  kms_key_arn               = module.data.kms_key_arn
  backup_kms_key_arn        = module.data.backup_kms_key_arn
  db_instance_arn           = module.data.db_instance_arn
  app_bucket_arn            = module.data.app_bucket_arn
  alarm_topic_arn           = module.monitoring.alarm_topic_arn
  ecs_cluster_name          = module.application.ecs_cluster_name
  ecs_cluster_arn           = module.application.ecs_cluster_arn
  ecs_service_name          = module.application.ecs_service_name
  stop_condition_alarm_arns = module.monitoring.chaos_stop_alarm_arns
  chaos_lambda_package      = var.chaos_lambda_package
  chaos_schedule_enabled    = var.chaos_schedule_enabled
  chaos_schedule_expression = var.chaos_schedule_expression
  log_retention_days        = var.log_retention_days
}
