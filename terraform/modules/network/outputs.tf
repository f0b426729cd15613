output "vpc_id" {
  description = "ID of the application VPC."
  value       = aws_vpc.main.id
}

output "availability_zones" {
  description = "Availability zones the subnets are in, in subnet order."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per availability zone."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone."
  value       = aws_subnet.private[*].id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways, one per availability zone, in subnet order."
  value       = aws_nat_gateway.main[*].id
}

output "alb_security_group_id" {
  description = "ID of the load balancer's security group."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "ID of the application tasks' security group."
  value       = aws_security_group.app.id
}

output "db_security_group_id" {
  description = "ID of the database's security group."
  value       = aws_security_group.db.id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch Logs group that receives the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
