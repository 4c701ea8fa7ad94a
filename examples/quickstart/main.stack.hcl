# The quickstart: a web shop that grows from one app server to a
# load-balanced, cached service with a coordination cluster, running for
# real on this machine.
#
#   go run ./cmd/stagecraft apply -C examples/quickstart --auto-approve
#   curl http://127.0.0.1:8000/
#
# The environment "dev" uses the local provider: the app (examples/app) runs
# as processes behind a load balancer on 127.0.0.1, the cache is a
# redis-server, the coordinator three etcd members; the last stage splits
# /orders/ into a service of its own, moving its traffic in steps. Change
# the stage (or pass --stage monolith) and apply again to migrate; destroy
# stops it all.

stack "shop" {
  description = "A web shop growing through the architecture stages"
}

variable "app_port" {
  type        = number
  default     = 8080
  description = "Port the shop listens on (on the local machine each instance gets its own)."
  validation {
    condition     = var.app_port > 1024
    error_message = "Use an unprivileged port (above 1024)."
  }
}

variable "lb_port" {
  type        = number
  default     = 8000
  description = "Port of the load balancer on 127.0.0.1."
}

variable "shift_bake" {
  type        = string
  default     = "10s"
  description = "How long each step of a traffic shift is watched before the next."
}

variable "app_command" {
  type        = list(string)
  default     = ["go", "run", "../app"]
  description = "How to run one instance of the app; go run builds it once and reuses the build cache afterwards."
}

provider "local" {}

environment "dev" {
  provider = "local"
  stage    = "microservices"
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
    local {
      command = var.app_command
    }
  }
}

stage "load-balanced" {
  description = "A load balancer in front of several app servers."
  extends     = "monolith"

  autoscaling_group "app" {
    min = 2
    max = 4
    scaling {
      target_requests_per_instance = 50
    }
  }

  load_balancer "edge" {
    listener {
      port = var.lb_port
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
    # When a route's target changes, traffic moves in steps, each watched
    # for the bake time; a step whose new target fails moves back.
    migration {
      steps          = [10, 50, 100]
      bake           = var.shift_bake
      max_error_rate = 0.01
    }
  }
}

stage "cached" {
  description = "Sessions and the hit counter in Redis."
  extends     = "load-balanced"

  cache "sessions" {
    engine    = "redis"
    memory_mb = 64
  }

  # The cache requires a password, generated when it is created; the app
  # reads it from its environment. It is sensitive: plans and logs show
  # (sensitive), the state keeps it.
  autoscaling_group "app" {
    env = {
      REDIS_ADDR     = cache.sessions.endpoint
      REDIS_PASSWORD = cache.sessions.password
    }
  }
}

stage "coordinated" {
  description = "An etcd cluster where instances register themselves."
  extends     = "cached"

  coordinator "locks" {
    engine  = "etcd"
    members = 3
  }

  autoscaling_group "app" {
    env = {
      REDIS_ADDR           = cache.sessions.endpoint
      REDIS_PASSWORD       = cache.sessions.password
      ETCD_ENDPOINTS       = join(",", coordinator.locks.endpoints)
      COORDINATOR_USERNAME = coordinator.locks.username
      COORDINATOR_PASSWORD = coordinator.locks.password
    }
  }
}

stage "microservices" {
  description = "Orders split out into a service of its own, behind /orders/."
  extends     = "coordinated"

  autoscaling_group "orders" {
    min  = 2
    max  = 4
    port = 9090
    env = {
      SERVICE              = "orders"
      REDIS_ADDR           = cache.sessions.endpoint
      REDIS_PASSWORD       = cache.sessions.password
      ETCD_ENDPOINTS       = join(",", coordinator.locks.endpoints)
      COORDINATOR_USERNAME = coordinator.locks.username
      COORDINATOR_PASSWORD = coordinator.locks.password
    }
    health_check {
      path = "/healthz"
    }
    local {
      command = var.app_command
    }
  }

  load_balancer "edge" { # its route blocks replace the inherited ones
    route {
      path   = "/orders/*"
      target = autoscaling_group.orders
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
  }
}

output "url" {
  value       = load_balancer.edge.url
  description = "Where the shop answers."
}
