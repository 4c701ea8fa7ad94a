# The shop, hand formatted.   Keep   it   so.
stack "shop" {
    description="A shop"   # trailing comment
}

provider "sim" {
	path = ".stagecraft/sim-cloud.jsonl"
}

environment "dev" {
  provider = "sim"
  stage = "monolith"
}

/* the only stage,
   for now */
stage "monolith" {
	autoscaling_group "app" {   # the app
		port = 8080
    env = { A = "1" } # line comment
		health_check { path = "/healthz" }
		local { command = ["./app"] }
	}
}
// the end, without a newline