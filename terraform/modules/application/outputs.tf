output "ecr_repository_name" {
  description = "Name of the ECR repository of the application image."
  value       = aws_ecr_repository.app.name
}

output "ecr_repository_arn" {
  description = "ARN of the ECR repository of the application image."
  value       = aws_ecr_repository.app.arn
}

output "ecr_repository_url" {
  description = "URL of the ECR repository, to tag and push images."
  value       = aws_ecr_repository.app.repository_url
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.main.arn
}

output "ecs_service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.app.name
}

output "container_name" {
  description = "Name of the application container in the task definition."
  value       = local.container_name
}

output "task_definition_arn" {
  description = "ARN of the task definition revision Terraform registered. The pipeline registers later revisions."
  value       = aws_ecs_task_definition.app.arn
}

output "task_role_arn" {
  description = "ARN of the IAM role the application code runs with."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the IAM role ECS uses to pull the image, read the secret and ship logs."
  value       = aws_iam_role.execution.arn
}

output "app_log_group_name" {
  description = "Name of the CloudWatch Logs group of the application containers."
  value       = aws_cloudwatch_log_group.app.name
}

output "alb_arn" {
  description = "ARN of the application load balancer."
  value       = aws_lb.app.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer, the LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.app.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.app.dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the load balancer, for alias records."
  value       = aws_lb.app.zone_id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener, the production traffic route of CodeDeploy."
  value       = aws_lb_listener.https.arn
}

output "target_group_arn" {
  description = "ARN of the blue target group, which the service registers with when it is created."
  value       = aws_lb_target_group.app["blue"].arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the blue target group, the TargetGroup dimension of its CloudWatch metrics."
  value       = aws_lb_target_group.app["blue"].arn_suffix
}

output "blue_target_group_name" {
  description = "Name of the blue target group."
  value       = aws_lb_target_group.app["blue"].name
}

output "green_target_group_name" {
  description = "Name of the green target group."
  value       = aws_lb_target_group.app["green"].name
}
