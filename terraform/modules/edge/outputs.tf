output "cloudfront_distribution_id" {
  description = "ID of the CloudFront distribution."
  value       = aws_cloudfront_distribution.app.id
}

output "cloudfront_distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.app.arn
}

output "cloudfront_domain_name" {
  description = "CloudFront domain name of the distribution."
  value       = aws_cloudfront_distribution.app.domain_name
}

output "cloudfront_web_acl_arn" {
  description = "ARN of the CLOUDFRONT-scope web ACL."
  value       = aws_wafv2_web_acl.cloudfront.arn
}

output "alb_web_acl_arn" {
  description = "ARN of the REGIONAL web ACL on the load balancer."
  value       = aws_wafv2_web_acl.alb.arn
}

output "health_url" {
  description = "Public HTTPS URL of the application's health endpoint."
  value       = "https://${var.domain_name}${var.health_check_path}"
}
