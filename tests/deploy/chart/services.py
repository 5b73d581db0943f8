"""Services and ServiceMonitors: gRPC, metrics and the front door on Services of their own,
and the target labels every ServiceMonitor endpoint sets."""
from .render import EVERYTHING, expect, find, objects, selects

def services_split(ctx):
    """gRPC, metrics and the front door on Services of their own: a LoadBalancer front door
    publishes neither gRPC nor /metrics; ServiceMonitor, Ingress and helm test follow."""
    values = ctx.write("lb.yaml", """
orchestrator:
  frontDoorService:
    type: LoadBalancer
    annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
    loadBalancerSourceRanges: [203.0.113.0/24]
    externalTrafficPolicy: Local
""")
    objs = objects(ctx, ctx.template("-f", ctx.path(EVERYTHING), "-f", values).stdout)
    services = [o for o in objs if o["kind"] == "Service"]
    deployments = [o for o in objs if o["kind"] == "Deployment"]
    published = [s for s in services if s["spec"].get("type") in ("LoadBalancer", "NodePort")]
    expect([s["metadata"]["name"] for s in published] == ["cascade-orchestrator-http"],
           "only the front door's Service is published (LoadBalancer)")
    door = published[0]
    expect([(p["name"], p["port"], p.get("targetPort")) for p in door["spec"]["ports"]]
           == [("http", 8080, "http")]
           and door["spec"]["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
           and door["spec"]["externalTrafficPolicy"] == "Local"
           and door["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
           "the LoadBalancer exposes port http only, with its source ranges and annotations")
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        mine = [s for s in services
                if s["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]]
        ports = {s["metadata"]["name"]: [p["name"] for p in s["spec"]["ports"]] for s in mine}
        expect(ports.get(name) == ["grpc"] and ports.get(f"{name}-metrics") == ["metrics"]
               and find(objs, "Service", name)["spec"]["type"] == "ClusterIP"
               and find(objs, "Service", f"{name}-metrics")["spec"]["type"] == "ClusterIP",
               f"{name}: its Service carries gRPC only, {name}-metrics (ClusterIP) /metrics only")
        expect(all(ports_ == ["grpc"] for n, ports_ in ports.items()
                   if n not in (f"{name}-metrics", f"{name}-http")),
               f"{name}: no other Service of it carries metrics or http")
        monitor = find(objs, "ServiceMonitor", name)["spec"]
        chosen = [s["metadata"]["name"] for s in services
                  if selects(monitor["selector"], s["metadata"]["labels"])]
        expect(chosen == [f"{name}-metrics"] and monitor["endpoints"][0]["port"] == "metrics",
               f"{name}: its ServiceMonitor selects {name}-metrics alone (label cascade/port)")
    ingress = find(objs, "Ingress", "cascade-orchestrator")
    backends = {p["backend"]["service"]["name"] + ":" + p["backend"]["service"]["port"]["name"]
                for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    expect(backends == {"cascade-orchestrator-http:http"},
           "the Ingress sends the front door's traffic to cascade-orchestrator-http:http")
    env = {e["name"]: e.get("value") for e in
           find(objs, "Pod", "cascade-helm-test")["spec"]["containers"][0]["env"]}
    names = {s["metadata"]["name"]: s for s in services}
    for target in env["CASCADE_COMPONENTS"].split():
        component, _, address = target.partition("=")
        host, _, port = address.partition(":")
        expect(host in names and [p["port"] for p in names[host]["spec"]["ports"]] == [int(port)]
               and names[host]["metadata"]["labels"].get("cascade/port") == "metrics",
               f"helm test checks {component} at {address}, its metrics Service")
    expect(env["CASCADE_FRONT_DOOR"] == "http://cascade-orchestrator-http:8080",
           "helm test sends its request to the front door's Service")
    default = objects(ctx, ctx.template().stdout)
    expect(find(default, "Service", "cascade-orchestrator-http")["spec"]["type"] == "ClusterIP"
           and "loadBalancerSourceRanges" not in find(default, "Service", "cascade-orchestrator-http")["spec"],
           "by default the front door's Service is ClusterIP")


def service_monitor_labels(ctx):
    """The target labels the dashboards and rules filter by: every ServiceMonitor endpoint
    sets `release` from the Service's app.kubernetes.io/instance (`namespace` comes with
    Kubernetes service discovery) and drops the target's `service` label (the Service's
    name), which would otherwise push the metrics' own `service` (the gRPC service, e.g.
    cascade.v1.Judge) aside to exported_service. tests/e2e/dashboard_proof.py relabels its
    targets the same way."""
    objs = objects(ctx, ctx.template("--set", "serviceMonitor.enabled=true").stdout)
    monitors = [o for o in objs if o["kind"] == "ServiceMonitor"]
    expect(monitors, "serviceMonitor.enabled renders ServiceMonitors")
    for monitor in monitors:
        for endpoint in monitor["spec"]["endpoints"]:
            relabelings = endpoint.get("relabelings", [])
            release = any(r.get("sourceLabels") == [
                              "__meta_kubernetes_service_label_app_kubernetes_io_instance"]
                          and r.get("targetLabel") == "release"
                          and r.get("action", "replace").lower() == "replace"
                          for r in relabelings)
            drop = any(r.get("action", "").lower() == "labeldrop" and r.get("regex") == "service"
                       for r in relabelings)
            expect(release and drop and not endpoint.get("honorLabels"),
                   f"{monitor['metadata']['name']} port {endpoint.get('port')}: relabels "
                   "app.kubernetes.io/instance to `release` and drops the target's `service`")
