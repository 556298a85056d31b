#!/usr/bin/env bash
# Installs the Bicep CLI into .tools/bicep from the NuGet package
# Azure.Bicep.CommandLine.linux-x64 (the Bicep CLI is not on npm), restored with the .NET SDK.
# Idempotent: does nothing when .tools/bicep already runs.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${BICEP_VERSION:-0.49.2}"
if [ -x .tools/bicep ] && .tools/bicep --version >/dev/null 2>&1; then
  .tools/bicep --version
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-bicep: this script fetches the linux-x64 build; elsewhere install Bicep from https://aka.ms/bicep-install and put it on PATH" >&2; exit 1 ;;
esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v dotnet >/dev/null || { echo "install-bicep: the .NET SDK (dotnet) is required to restore the Bicep NuGet package" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$VERSION]" /></ItemGroup>
</Project>
XML
dotnet restore "$work/restore.csproj" --packages "$work/packages" >"$work/restore.log" 2>&1 || { cat "$work/restore.log" >&2; exit 1; }
mkdir -p .tools
cp "$work/packages/azure.bicep.commandline.linux-x64/$VERSION/tools/bicep" .tools/bicep
chmod +x .tools/bicep
.tools/bicep --version
