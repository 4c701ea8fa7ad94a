# A startup's architecture in five stages, each extending the one before:
#
#   monolith -> load-balanced -> cached -> coordinated -> microservices
#
# Written by `stagecraft init --template startup`. The environment "dev" runs
# the stack on this machine (the local provider); "prod" runs it on AWS. To
# move an environment up the ladder, change its stage line and run
# `stagecraft plan -e ENV`, then `stagecraft apply -e ENV`: that is a
# migration, ordered so traffic keeps flowing. `--stage NAME` tries a stage
# for one run without editing the file.
#
# Until your app is ready, the local provider runs a stand-in (Python's
# http.server) so every stage works right away: set app_command to your app.

stack "__STACK__" {
  description = "A startup's architecture, from one app server to microservices"
}

variable "app_port" {
  type        = number
  default     = 8080
  description = "Port the app listens on (on AWS; on this machine every instance gets its own free port, passed as $PORT)."
  validation {
    condition     = var.app_port > 1024
    error_message = "Use an unprivileged port (above 1024)."
  }
}

variable "lb_port" {
  type        = number
  default     = 8000
  description = "Port of the load balancer (on this machine: 127.0.0.1:lb_port)."
}

variable "app_command" {
  type        = list(string)
  default     = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "$PORT"]
  description = "How the local provider runs one instance of the app; $PORT is the port it must listen on. The default is a stand-in that serves this directory: replace it with your app, such as [\"./bin/app\"] or [\"go\", \"run\", \"./cmd/app\"]."
}

variable "health_path" {
  type        = string
  default     = "/"
  description = "The path that answers 2xx while an instance is healthy (the stand-in only has \"/\"; your app's \"/healthz\", say)."
}

variable "ami" {
  type        = string
  default     = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  description = "The machine image of the app servers on AWS: an image with your app installed that starts it on app_port (ami-...). The default asks EC2 for the current Amazon Linux 2023 image, which boots but runs no app."
}

variable "aws_region" {
  type        = string
  default     = "us-east-1"
  description = "The AWS region the environment prod runs in."
}

locals {
  # The orders service runs the app's program until it has its own.
  orders_command = var.app_command
}

provider "local" {}

provider "aws" {
  region = var.aws_region
}

environment "dev" {
  provider = "local"
  stage    = "monolith" # edit this line to move dev up the ladder
}

environment "prod" {
  provider = "aws"
  stage    = "monolith" # GitOps: a pull request that edits this line is a migration

  # State stays in .stagecraft/state/prod.json. For a team (and CI), keep
  # it in a versioned bucket, locked and journaled there (docs/state.md):
  # backend "s3" {
  #   bucket = "my-company-stagecraft"
  #   key    = "__STACK__/prod.json"
  #   region = "us-east-1"
  # }
}

# Stage 1: one app server. Start here; it is all a new product needs.
stage "monolith" {
  description = "One app server."

  autoscaling_group "app" {
    min  = 1
    max  = 1
    port = var.app_port
    health_check {
      path = var.health_path
    }
    local {
      command = var.app_command
    }
    aws {
      ami           = var.ami
      instance_type = "t3.micro"
    }
  }
}

# Stage 2: a load balancer in front of several app servers, so one can fail
# or be replaced without downtime, and the group scales on load. The
# migration block says how traffic moves when a route's target changes: in
# steps of 10 %, 50 %, 100 %, each watched for 30 s, rolled back when more
# than 1 % of requests fail.
stage "load-balanced" {
  description = "A load balancer in front of two to four app servers."
  extends     = "monolith"

  autoscaling_group "app" { # merged over the inherited block
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
    migration {
      steps          = [10, 50, 100]
      bake           = "30s"
      max_error_rate = 0.01
    }
  }
}

# Stage 3: a Redis cache for sessions and hot reads, so app servers share
# state and the database rests. The app finds it through REDIS_ADDR.
stage "cached" {
  description = "Sessions and hot reads in Redis."
  extends     = "load-balanced"

  cache "sessions" {
    engine    = "redis"
    memory_mb = 64
    aws {
      node_type = "cache.t3.micro"
    }
  }

  autoscaling_group "app" {
    env = {
      REDIS_ADDR = cache.sessions.endpoint
    }
  }
}

# Stage 4: an etcd cluster for locks, leader election and service
# registration. Three members survive the loss of one. env is an attribute,
# so the child's value replaces the parent's: REDIS_ADDR is repeated.
stage "coordinated" {
  description = "An etcd cluster for locks and service registration."
  extends     = "cached"

  coordinator "locks" {
    engine  = "etcd"
    members = 3
    aws {
      instance_type = "t3.small"
    }
  }

  autoscaling_group "app" {
    env = {
      REDIS_ADDR     = cache.sessions.endpoint
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
  }
}

# Stage 5: the orders service split out of the app, with its own group and
# its own path on the load balancer. Route blocks replace the inherited
# ones, so the app's route is written again.
stage "microservices" {
  description = "The orders service split out, behind /orders/."
  extends     = "coordinated"

  autoscaling_group "orders" {
    min  = 2
    max  = 6
    port = var.app_port
    env = {
      REDIS_ADDR     = cache.sessions.endpoint
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
    health_check {
      path = var.health_path
    }
    scaling {
      target_requests_per_instance = 50
    }
    local {
      command = local.orders_command
    }
    aws {
      ami           = var.ami
      instance_type = "t3.micro"
    }
  }

  load_balancer "edge" {
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
  description = "Where the app answers (from the load-balanced stage on)."
}
