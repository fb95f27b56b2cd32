# A GPU machine image for spottrain workers: NVIDIA driver and CUDA (from the AWS Deep Learning base
# image), Python with PyTorch, a Java 17 runtime, and the agent distribution with its systemd unit,
# installed but not enabled (the launcher's user data writes /etc/spottrain/agent.env and enables it).
#
#   ./mvnw -B -DskipTests package          # builds worker-agent/target/spottrain-agent-<version>.tar.gz
#   packer init examples/packer && packer build -var agent_version=0.1.0-SNAPSHOT examples/packer
#
# Status: written against Packer's amazon-ebs builder documentation, NOT run (no AWS account and no
# Packer binary on the machines this repository is built on). Review before use; see docs/operations.md.

packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "instance_type" {
  type    = string
  default = "g5.xlarge"
}

variable "agent_version" {
  type = string
}

variable "training_user" {
  type    = string
  default = "trainer"
}

source "amazon-ebs" "gpu" {
  region        = var.region
  instance_type = var.instance_type
  ami_name      = "spottrain-worker-${var.agent_version}-{{timestamp}}"
  ssh_username  = "ubuntu"
  # AWS Deep Learning Base GPU AMI (Ubuntu 22.04): NVIDIA driver, CUDA, NCCL, EFA
  source_ami_filter {
    filters = {
      name                = "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04)*"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = ["amazon"]
    most_recent = true
  }
  # IMDSv2 only, hop limit 1: the agent reads notices with a session token; containers cannot borrow the role
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  tags = {
    "spottrain:image" = var.agent_version
  }
}

build {
  sources = ["source.amazon-ebs.gpu"]

  provisioner "file" {
    source      = "worker-agent/target/spottrain-agent-${var.agent_version}.tar.gz"
    destination = "/tmp/spottrain-agent.tar.gz"
  }

  provisioner "shell" {
    inline = [
      "set -euo pipefail",
      "sudo apt-get update -qq",
      "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless python3-pip iptables",
      "sudo pip3 install --quiet torch",
      "sudo mkdir -p /opt/spottrain /etc/spottrain/tls /var/lib/spottrain",
      "sudo tar xzf /tmp/spottrain-agent.tar.gz -C /opt/spottrain --strip-components=1",
      "sudo install -m 0644 /opt/spottrain/systemd/spottrain-agent.service /etc/systemd/system/spottrain-agent.service",
      "sudo systemctl daemon-reload",
      "sudo useradd --system --create-home ${var.training_user}",
      "echo 'SPOTTRAIN_RUN_AS=${var.training_user}' | sudo tee /etc/spottrain/image.env > /dev/null",
      "sudo chmod 0700 /etc/spottrain/tls",
      "sudo /opt/spottrain/bin/spottrain-agent --help > /dev/null"
    ]
  }
}
