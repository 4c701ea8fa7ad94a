# Stage template "cache", used by
#
#   stagecraft stage add NAME --template cache
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
# adds these. A block with a literal name (cache "sessions") is new: the
# command refuses a parent that already has it.

# A Redis cache for sessions and hot reads; the app finds it through
# REDIS_ADDR.
stage "__NAME__" {
  description = "Sessions and hot reads in Redis."
  extends     = "__PARENT__"

  cache "sessions" {
    engine    = "redis"
    memory_mb = 64
  }

  autoscaling_group "__GROUP__" {
    env = {
      REDIS_ADDR = cache.sessions.endpoint
    }
  }
}
