variable "name" {
  type        = string
  description = "Prefix of the resource names in this module."
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the application. The load balancer origin gets origin.<domain_name>."
}

variable "hosted_zone_id" {
  type        = string
  description = "Route 53 hosted zone that contains domain_name."
}

variable "cloudfront_certificate_arn" {
  type        = string
  description = "ACM certificate of the distribution, issued in US East (N. Virginia) as CloudFront requires."
}

variable "alb_arn" {
  type        = string
  description = "ARN of the load balancer that the regional web ACL protects."
}

variable "alb_dns_name" {
  type        = string
  description = "DNS name of the load balancer, the target of the origin record."
}

variable "alb_zone_id" {
  type        = string
  description = "Route 53 hosted zone ID of the load balancer, for the origin alias record."
}

variable "app_bucket_regional_domain_name" {
  type        = string
  description = "Regional domain name of the application bucket, the origin of static assets."
}

variable "static_path_pattern" {
  type        = string
  description = "Path pattern CloudFront serves from the bucket. The bucket policy allows CloudFront to read static/* only."
  default     = "/static/*"
}

variable "health_check_path" {
  type        = string
  description = "HTTP path of the application's health endpoint, appended to domain_name in health_url."
}

variable "waf_rate_limit" {
  type        = number
  description = "Requests per client IP in any 5-minute window above which the web ACLs block the client."

  validation {
    condition     = var.waf_rate_limit >= 10
    error_message = "waf_rate_limit must be at least 10, the AWS WAF minimum for rate-based rules."
  }
}

variable "price_class" {
  type        = string
  description = "CloudFront price class, which sets the edge locations that serve viewers."
  default     = "PriceClass_100"
}
