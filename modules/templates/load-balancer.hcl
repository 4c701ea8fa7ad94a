# Stage template "load-balancer", used by
#
#   stagecraft stage add NAME --template load-balancer
#
# The command appends the stage block below, with the comment just above
# it, to the file that holds the stack's last stage, replacing:
#
#   __NAME__    the new stage's name
#   __PARENT__  the stage it extends: the stack's last stage
#   __GROUP__   the parent's main autoscaling group ("app", or its first)
#
# A block named by a placeholder filled from the parent (__GROUP__) is
# merged over the inherited block. A block with a literal name
# (load_balancer "edge") is new: the command refuses a parent that already
# has it.

# A load balancer in front of several app servers, so one can fail or be
# replaced without downtime; the group scales on load. The listener's port
# is left to the provider (a free port on this machine, 80 on AWS): set
# port = N to pin it. The migration block says how traffic moves when a
# route's target changes: 10 %, 50 %, 100 %, each step watched for 30 s,
# rolled back when more than 1 % of requests fail.
stage "__NAME__" {
  description = "A load balancer in front of two to four app servers."
  extends     = "__PARENT__"

  autoscaling_group "__GROUP__" {
    min = 2
    max = 4
    scaling {
      target_requests_per_instance = 50
    }
  }

  load_balancer "edge" {
    listener {}
    route {
      path   = "/*"
      target = autoscaling_group.__GROUP__
    }
    migration {
      steps          = [10, 50, 100]
      bake           = "30s"
      max_error_rate = 0.01
    }
  }
}
