# Stage template "coordinator", used by
#
#   stagecraft stage add NAME --template coordinator
#
# The command appends the stage block below, with the comment just above
# it, to the file that holds the stack's last stage, replacing:
#
#   __NAME__    the new stage's name
#   __PARENT__  the stage it extends: the stack's last stage
#   __GROUP__   the parent's main autoscaling group ("app", or its first)
#
# A block named by a placeholder filled from the parent (__GROUP__) is
# merged over the inherited block; its env keeps the parent's entries and
# adds these. A block with a literal name (coordinator "locks") is new: the
# command refuses a parent that already has it.

# An etcd cluster for locks, leader election and service registration;
# three members survive the loss of one. The app finds it through
# ETCD_ENDPOINTS.
stage "__NAME__" {
  description = "An etcd cluster for locks and service registration."
  extends     = "__PARENT__"

  coordinator "locks" {
    engine  = "etcd" # or "zookeeper"
    members = 3
  }

  autoscaling_group "__GROUP__" {
    env = {
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
  }
}
