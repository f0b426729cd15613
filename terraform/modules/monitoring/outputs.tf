output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms and the backup vault notify."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the six checklist alarms."
  value = [
    aws_cloudwatch_metric_alarm.alb_5xx.alarm_name,
    aws_cloudwatch_metric_alarm.alb_response_time.alarm_name,
    aws_cloudwatch_metric_alarm.ecs_cpu.alarm_name,
    aws_cloudwatch_metric_alarm.ecs_memory.alarm_name,
    aws_cloudwatch_metric_alarm.rds_cpu.alarm_name,
    aws_cloudwatch_metric_alarm.rds_free_storage.alarm_name,
  ]
}

output "deployment_alarm_names" {
  description = "Names of the alarms that stop and roll back a CodeDeploy deployment: load balancer 5xx and response time."
  value = [
    aws_cloudwatch_metric_alarm.alb_5xx.alarm_name,
    aws_cloudwatch_metric_alarm.alb_response_time.alarm_name,
  ]
}

output "chaos_stop_alarm_arns" {
  description = "ARNs of the load balancer 5xx and response-time alarms, the stop conditions of the chaos latency experiment."
  value = [
    aws_cloudwatch_metric_alarm.alb_5xx.arn,
    aws_cloudwatch_metric_alarm.alb_response_time.arn,
  ]
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}
