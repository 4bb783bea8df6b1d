"""The CIS Docker Benchmark v1.6.0 control catalogue (ids and titles, sections 1-7).

``automated_by_docker_bench`` is the assessment docker-bench-security gives each control (Automated or
Scored, versus Manual): the docs compare Seawall's coverage with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Control:
    """One benchmark control."""

    id: str
    title: str
    automated_by_docker_bench: bool

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]


SECTIONS = {
    "1": "Host Configuration",
    "2": "Docker daemon configuration",
    "3": "Docker daemon configuration files",
    "4": "Container Images and Build File",
    "5": "Container Runtime",
    "6": "Docker Security Operations",
    "7": "Docker Swarm Configuration",
}

_CONTROLS = (
    ("1.1.1", "Ensure a separate partition for containers has been created", True),
    ("1.1.2", "Ensure only trusted users are allowed to control Docker daemon", True),
    ("1.1.3", "Ensure auditing is configured for the Docker daemon", True),
    ("1.1.4", "Ensure auditing is configured for Docker files and directories -/run/containerd", True),
    ("1.1.5", "Ensure auditing is configured for Docker files and directories - /var/lib/docker", True),
    ("1.1.6", "Ensure auditing is configured for Docker files and directories - /etc/docker", True),
    ("1.1.7", "Ensure auditing is configured for Docker files and directories - docker.service", True),
    ("1.1.8", "Ensure auditing is configured for Docker files and directories - containerd.sock", True),
    ("1.1.9", "Ensure auditing is configured for Docker files and directories - docker.socket", True),
    ("1.1.10", "Ensure auditing is configured for Docker files and directories - /etc/default/docker", True),
    (
        "1.1.11",
        "Ensure auditing is configured for Dockerfiles and directories - /etc/docker/daemon.json",
        True,
    ),
    (
        "1.1.12",
        "Ensure auditing is configured for Dockerfiles and directories - /etc/containerd/config.toml",
        True,
    ),
    (
        "1.1.13",
        "Ensure auditing is configured for Docker files and directories - /etc/sysconfig/docker",
        True,
    ),
    ("1.1.14", "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd", True),
    (
        "1.1.15",
        "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim",
        True,
    ),
    (
        "1.1.16",
        "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v1",
        True,
    ),
    (
        "1.1.17",
        "Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v2",
        True,
    ),
    ("1.1.18", "Ensure auditing is configured for Docker files and directories - /usr/bin/runc", True),
    ("1.2.1", "Ensure the container host has been Hardened", False),
    ("1.2.2", "Ensure that the version of Docker is up to date", False),
    ("2.1", "Run the Docker daemon as a non-root user, if possible", False),
    ("2.2", "Ensure network traffic is restricted between containers on the default bridge", True),
    ("2.3", "Ensure the logging level is set to 'info'", True),
    ("2.4", "Ensure Docker is allowed to make changes to iptables", True),
    ("2.5", "Ensure insecure registries are not used", True),
    ("2.6", "Ensure aufs storage driver is not used", True),
    ("2.7", "Ensure TLS authentication for Docker daemon is configured", True),
    ("2.8", "Ensure the default ulimit is configured appropriately", False),
    ("2.9", "Enable user namespace support", True),
    ("2.10", "Ensure the default cgroup usage has been confirmed", True),
    ("2.11", "Ensure base device size is not changed until needed", True),
    ("2.12", "Ensure that authorization for Docker client commands is enabled", True),
    ("2.13", "Ensure centralized and remote logging is configured", True),
    ("2.14", "Ensure containers are restricted from acquiring new privileges", True),
    ("2.15", "Ensure live restore is enabled", True),
    ("2.16", "Ensure Userland Proxy is Disabled", True),
    ("2.17", "Ensure that a daemon-wide custom seccomp profile is applied if appropriate", False),
    ("2.18", "Ensure that experimental features are not implemented in production", True),
    ("3.1", "Ensure that the docker.service file ownership is set to root:root", True),
    ("3.2", "Ensure that docker.service file permissions are appropriately set", True),
    ("3.3", "Ensure that docker.socket file ownership is set to root:root", True),
    ("3.4", "Ensure that docker.socket file permissions are set to 644 or more restrictive", True),
    ("3.5", "Ensure that the /etc/docker directory ownership is set to root:root", True),
    ("3.6", "Ensure that /etc/docker directory permissions are set to 755 or more restrictively", True),
    ("3.7", "Ensure that registry certificate file ownership is set to root:root", True),
    ("3.8", "Ensure that registry certificate file permissions are set to 444 or more restrictively", True),
    ("3.9", "Ensure that TLS CA certificate file ownership is set to root:root", True),
    ("3.10", "Ensure that TLS CA certificate file permissions are set to 444 or more restrictively", True),
    ("3.11", "Ensure that Docker server certificate file ownership is set to root:root", True),
    (
        "3.12",
        "Ensure that the Docker server certificate file permissions are set to 444 or more restrictively",
        True,
    ),
    ("3.13", "Ensure that the Docker server certificate key file ownership is set to root:root", True),
    ("3.14", "Ensure that the Docker server certificate key file permissions are set to 400", True),
    ("3.15", "Ensure that the Docker socket file ownership is set to root:docker", True),
    ("3.16", "Ensure that the Docker socket file permissions are set to 660 or more restrictively", True),
    ("3.17", "Ensure that the daemon.json file ownership is set to root:root", True),
    ("3.18", "Ensure that daemon.json file permissions are set to 644 or more restrictive", True),
    ("3.19", "Ensure that the /etc/default/docker file ownership is set to root:root", True),
    (
        "3.20",
        "Ensure that the /etc/default/docker file permissions are set to 644 or more restrictively",
        True,
    ),
    (
        "3.21",
        "Ensure that the /etc/sysconfig/docker file permissions are set to 644 or more restrictively",
        True,
    ),
    ("3.22", "Ensure that the /etc/sysconfig/docker file ownership is set to root:root", True),
    ("3.23", "Ensure that the Containerd socket file ownership is set to root:root", True),
    ("3.24", "Ensure that the Containerd socket file permissions are set to 660 or more restrictively", True),
    ("4.1", "Ensure that a user for the container has been created", True),
    ("4.2", "Ensure that containers use only trusted base images", False),
    ("4.3", "Ensure that unnecessary packages are not installed in the container", False),
    ("4.4", "Ensure images are scanned and rebuilt to include security patches", False),
    ("4.5", "Ensure Content trust for Docker is Enabled", True),
    ("4.6", "Ensure that HEALTHCHECK instructions have been added to container images", True),
    ("4.7", "Ensure update instructions are not used alone in the Dockerfile", False),
    ("4.8", "Ensure setuid and setgid permissions are removed", False),
    ("4.9", "Ensure that COPY is used instead of ADD in Dockerfiles", False),
    ("4.10", "Ensure secrets are not stored in Dockerfiles", False),
    ("4.11", "Ensure only verified packages are installed", False),
    ("4.12", "Ensure all signed artifacts are validated", False),
    ("5.1", "Ensure swarm mode is not Enabled, if not needed", True),
    ("5.2", "Ensure that, if applicable, an AppArmor Profile is enabled", True),
    ("5.3", "Ensure that, if applicable, SELinux security options are set", True),
    ("5.4", "Ensure that Linux kernel capabilities are restricted within containers", True),
    ("5.5", "Ensure that privileged containers are not used", True),
    ("5.6", "Ensure sensitive host system directories are not mounted on containers", True),
    ("5.7", "Ensure sshd is not run within containers", True),
    ("5.8", "Ensure privileged ports are not mapped within containers", True),
    ("5.9", "Ensure that only needed ports are open on the container", False),
    ("5.10", "Ensure that the host's network namespace is not shared", True),
    ("5.11", "Ensure that the memory usage for containers is limited", True),
    ("5.12", "Ensure that CPU priority is set appropriately on containers", True),
    ("5.13", "Ensure that the container's root filesystem is mounted as read only", True),
    ("5.14", "Ensure that incoming container traffic is bound to a specific host interface", True),
    ("5.15", "Ensure that the 'on-failure' container restart policy is set to '5'", True),
    ("5.16", "Ensure that the host's process namespace is not shared", True),
    ("5.17", "Ensure that the host's IPC namespace is not shared", True),
    ("5.18", "Ensure that host devices are not directly exposed to containers", False),
    ("5.19", "Ensure that the default ulimit is overwritten at runtime if needed", False),
    ("5.20", "Ensure mount propagation mode is not set to shared", True),
    ("5.21", "Ensure that the host's UTS namespace is not shared", True),
    ("5.22", "Ensure the default seccomp profile is not Disabled", True),
    ("5.23", "Ensure that docker exec commands are not used with the privileged option", True),
    ("5.24", "Ensure that docker exec commands are not used with the user=root option", False),
    ("5.25", "Ensure that cgroup usage is confirmed", True),
    ("5.26", "Ensure that the container is restricted from acquiring additional privileges", True),
    ("5.27", "Ensure that container health is checked at runtime", True),
    ("5.28", "Ensure that Docker commands always make use of the latest version of their image", False),
    ("5.29", "Ensure that the PIDs cgroup limit is used", True),
    ("5.30", "Ensure that Docker's default bridge 'docker0' is not used", False),
    ("5.31", "Ensure that the host's user namespaces are not shared", True),
    ("5.32", "Ensure that the Docker socket is not mounted inside any containers", True),
    ("6.1", "Ensure that image sprawl is avoided", False),
    ("6.2", "Ensure that container sprawl is avoided", False),
    ("7.1", "Ensure that the minimum number of manager nodes have been created in a swarm", True),
    ("7.2", "Ensure that swarm services are bound to a specific host interface", True),
    ("7.3", "Ensure that all Docker swarm overlay networks are encrypted", True),
    (
        "7.4",
        "Ensure that Docker's secret management commands are used for managing secrets in a swarm cluster",
        False,
    ),
    ("7.5", "Ensure that swarm manager is run in auto-lock mode", True),
    ("7.6", "Ensure that the swarm manager auto-lock key is rotated periodically", False),
    ("7.7", "Ensure that node certificates are rotated as appropriate", False),
    ("7.8", "Ensure that CA certificates are rotated as appropriate", False),
    ("7.9", "Ensure that management plane traffic is separated from data plane traffic", False),
)

CONTROLS: tuple[Control, ...] = tuple(Control(i, t, a) for i, t, a in _CONTROLS)
BY_ID = {c.id: c for c in CONTROLS}
