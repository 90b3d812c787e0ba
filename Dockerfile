# syntax=docker/dockerfile:1
# One image for every Switchboard component; Kubernetes picks the command (docs/operations.md,
# "Deploying on Kubernetes"):
#   gateway     python -m gateway               jobs     python -m services.jobs
#   queue       python -m services.queue        workers  python -m services.workers
#   system      python -m services.system       config   python -m services.config
#   logs        python -m services.logs         job worker  python -m services.jobs.worker
#   migration   switchboard migrate
# No HEALTHCHECK: Kubernetes probes the gRPC health service and the gateway's /healthz, /readyz.
#
#   docker build -t switchboard:dev .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a venv with the project installed the way `make install` installs it ----------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A compiler for any dependency without a wheel for this platform; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml ./
COPY proto/ proto/
COPY gateway/ gateway/
COPY services/ services/
# The same steps as the Makefile's install target, without the [test] extra: an editable install
# (the code runs from /app, as from a clone) and the .pth that puts the repo root and proto/ (the
# import root of the generated admin.* packages) on sys.path. tests/deploy checks they match.
RUN pip install -q --upgrade pip \
 && pip install -q -e . \
 && python -c 'import sysconfig, pathlib; r = pathlib.Path.cwd(); (pathlib.Path(sysconfig.get_paths()["purelib"]) / "switchboard-paths.pth").write_text("\n".join([str(r), str(r / "proto"), ""]))' \
 && python -m compileall -q /app /opt/venv \
 && python -c 'import gateway.app, services.common.settings, admin.v1.action_pb2'

# --- runtime: no compiler, no pip cache, a non-root user, a read-only root filesystem is fine -----
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin switchboard
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    BIND_HOST=0.0.0.0
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000 50051 50052 50053 50054 50055 50056
CMD ["python", "-m", "gateway"]
