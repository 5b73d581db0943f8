"""Every rendered object validates against the Kubernetes schemas (npm kubernetes-models and
@kubernetes-models/prometheus-operator), and broken objects do not."""
from .render import DEFAULT_KINDS, EVERYTHING, EVERYTHING_KINDS, expect, validate

def objects_valid_default(ctx):
    result = validate(ctx, ctx.render_to("default.yaml"), DEFAULT_KINDS)
    print(result.stdout[-3000:], result.stderr)
    expect(result.returncode == 0, "every object rendered from the default values is valid")


def objects_valid_everything(ctx):
    result = validate(ctx, ctx.render_to("everything.yaml", "-f", ctx.path(EVERYTHING)),
                      EVERYTHING_KINDS)
    print(result.stdout[-3000:], result.stderr)
    expect(result.returncode == 0, "every object rendered with everything enabled is valid")


def validator_catches_bad_objects(ctx):
    """The schema check is not vacuous: a wrong type or field in an object fails it."""
    good = open(ctx.render_to("everything.yaml", "-f", ctx.path(EVERYTHING))).read()
    broken = {
        "a string where the Deployment wants replicas (integer)":
            good.replace("  replicas: 1\n", "  replicas: one\n", 1),
        "a port name where a container wants a port number":
            good.replace("containerPort: 50051", "containerPort: grpc-port", 1),
        "a ServiceMonitor endpoint port of the wrong type":
            good.replace("    - port: metrics\n", "    - port: [metrics]\n", 1),
    }
    for what, text in broken.items():
        expect(text != good, f"could break the render with {what}")
        path = ctx.write("broken.yaml", text)
        result = validate(ctx, path, [])
        expect(result.returncode != 0 and "FAIL" in result.stderr, f"the schemas reject {what}")
