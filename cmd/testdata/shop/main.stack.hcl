# The command tests' stack: the quickstart's stages on the sim provider,
# which simulates a cloud in .stagecraft/sim-cloud.jsonl.

stack "shop" {
  description = "A web shop growing through the architecture stages"
}

variable "app_port" {
  type        = number
  default     = 8080
  description = "Port the shop listens on."
  validation {
    condition     = var.app_port > 1024
    error_message = "Use an unprivileged port (above 1024)."
  }
}

provider "sim" {
  path = ".stagecraft/sim-cloud.jsonl"
}

environment "dev" {
  provider = "sim"
  stage    = "coordinated"
}

stage "monolith" {
  description = "One app server."

  autoscaling_group "app" {
    min  = 1
    max  = 1
    port = var.app_port
    health_check {
      path = "/healthz"
    }
  }
}

stage "load-balanced" {
  description = "A load balancer in front of several app servers."
  extends     = "monolith"

  autoscaling_group "app" {
    min = 2
    max = 6
    scaling {
      target_cpu = 60
    }
  }

  load_balancer "edge" {
    listener {
      port = 8000
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
  }
}

stage "cached" {
  description = "Sessions in Redis."
  extends     = "load-balanced"

  cache "sessions" {
    engine    = "redis"
    memory_mb = 128
  }

  autoscaling_group "app" {
    env = {
      REDIS_ADDR = cache.sessions.endpoint
    }
  }
}

stage "coordinated" {
  description = "An etcd cluster for locks and service registration."
  extends     = "cached"

  coordinator "locks" {
    engine  = "etcd"
    members = 3
  }

  autoscaling_group "app" {
    env = {
      REDIS_ADDR     = cache.sessions.endpoint
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
  }
}

output "url" {
  value       = load_balancer.edge.url
  description = "Where the shop answers."
}
