output "pipeline_name" {
  description = "Name of the CodePipeline pipeline."
  value       = aws_codepipeline.app.name
}

output "codebuild_project_name" {
  description = "Name of the CodeBuild project that builds the image."
  value       = aws_codebuild_project.image.name
}

output "codedeploy_app_name" {
  description = "Name of the CodeDeploy application."
  value       = aws_codedeploy_app.app.name
}

output "codedeploy_group_name" {
  description = "Name of the CodeDeploy deployment group of the ECS service."
  value       = aws_codedeploy_deployment_group.app.deployment_group_name
}

output "source_connection_arn" {
  description = "ARN of the CodeStar connection. Its status stays PENDING until the handshake is completed in the console."
  value       = aws_codestarconnections_connection.source.arn
}

output "artifact_bucket_name" {
  description = "Name of the S3 bucket with the pipeline artifacts."
  value       = aws_s3_bucket.artifacts.bucket
}
