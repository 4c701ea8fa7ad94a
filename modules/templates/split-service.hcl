# Stage template "split-service", used by
#
#   stagecraft stage add NAME --template split-service [--service SERVICE]
#
# The command appends the stage block below, with the comment just above
# it, to the file that holds the stack's last stage, replacing:
#
#   __NAME__     the new stage's name
#   __PARENT__   the stage it extends: the stack's last stage
#   __GROUP__    the parent's main autoscaling group ("app", or its first)
#   __LB__       the parent's load balancer (its first)
#   __SERVICE__  the new service (--service, default "orders")
#
# A block named by a placeholder filled from the parent (__GROUP__, __LB__)
# is merged over the inherited block. Route blocks replace the inherited
# ones, so the command adds the parent's routes of __LB__ after the ones
# written here (a parent route with the same path is left out). A block
# with a new name (autoscaling_group "__SERVICE__") must not exist in the
# parent; a new autoscaling group starts as a copy of __GROUP__: the
# command copies port, env, health_check, local and aws from it where the
# template does not write them.

# __SERVICE__: a service split out of the main group, with its own
# autoscaling group and its own path on the load balancer. It starts as a
# copy of the group it was split from, running the same program: point its
# local and aws blocks at the service's own.
stage "__NAME__" {
  description = "The __SERVICE__ service split out, behind /__SERVICE__/."
  extends     = "__PARENT__"

  autoscaling_group "__SERVICE__" {
    min = 2
    max = 6
    scaling {
      target_requests_per_instance = 50
    }
  }

  load_balancer "__LB__" {
    route {
      path   = "/__SERVICE__/*"
      target = autoscaling_group.__SERVICE__
    }
  }
}
