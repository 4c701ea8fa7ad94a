# stagecraft/web-tier: an autoscaled HTTP service behind its own load balancer.

variable "name" {
  type        = string
  description = "Name of the service, used in instance names and logs."
}

variable "port" {
  type        = number
  default     = 8080
  description = "Port the service listens on."
}

variable "listen_port" {
  type        = number
  default     = null
  description = "Port of the load balancer; left out, the provider picks one."
}

variable "min" {
  type    = number
  default = 2
}

variable "max" {
  type    = number
  default = 4
}

variable "command" {
  type        = list(string)
  default     = null
  description = "Command that runs one instance on the local provider."
}

variable "ami" {
  type        = string
  default     = null
  description = "Machine image on the aws provider."
}

variable "env" {
  type    = map(string)
  default = {}
}

variable "health_path" {
  type    = string
  default = "/healthz"
}

autoscaling_group "service" {
  min  = var.min
  max  = var.max
  port = var.port
  env  = merge({ SERVICE_NAME = var.name }, var.env)
  health_check {
    path = var.health_path
  }
  local {
    command = var.command
  }
  aws {
    ami = var.ami
  }
}

load_balancer "edge" {
  listener {
    port = var.listen_port
  }
  route {
    path   = "/"
    target = autoscaling_group.service
  }
}

output "url" {
  value       = load_balancer.edge.url
  description = "Where the service answers."
}

output "group" {
  value = autoscaling_group.service.id
}
