# Installs the Candour reviewer kit on Windows without any network: checks the kit
# against SHA256SUMS, shows the kit fingerprint to compare with the one your
# organisation published, makes a private Python environment, installs the bundled
# wheels (pip --no-index) and adds a "Candour Desk" shortcut to the Start menu.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-Fingerprint "ab12 ..."] [-Prefix DIR]
param([string]$Fingerprint = "", [string]$Prefix = "")
$ErrorActionPreference = "Stop"

function Stop-Install([string]$Sentence) {
    Write-Host "Candour was not installed: $Sentence"
    exit 1
}

$Kit = Split-Path -Parent $MyInvocation.MyCommand.Path
Set-Location $Kit

$Python = $null
foreach ($candidate in @("py -3", "python3", "python")) {
    $exe, $rest = $candidate.Split(" ")
    if (Get-Command $exe -ErrorAction SilentlyContinue) {
        & $exe $rest -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" 2>$null
        if ($LASTEXITCODE -eq 0) { $Python = @($exe) + @($rest | Where-Object { $_ }); break }
    }
}
if (-not $Python) { Stop-Install "Candour needs Python 3.11 or newer (python.org, 'Add python.exe to PATH'); none was found." }
$PyExe = $Python[0]
$PyArgs = @($Python | Select-Object -Skip 1)

if (-not (Test-Path "SHA256SUMS")) { Stop-Install "the kit is incomplete (SHA256SUMS is missing): copy the whole kit again." }
foreach ($line in Get-Content "SHA256SUMS") {
    $digest, $name = $line -split "  ", 2
    if (-not (Test-Path -LiteralPath $name)) { Stop-Install "the kit is damaged ($name is missing): copy it again." }
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $name).Hash.ToLower()
    if ($actual -ne $digest) { Stop-Install "the kit is damaged or was changed ($name does not match SHA256SUMS): copy it again." }
}
$sums = (Get-FileHash -Algorithm SHA256 -LiteralPath "SHA256SUMS").Hash.ToLower()
$shown = ($sums -split "(.{4})" | Where-Object { $_ }) -join " "
Write-Host "Kit fingerprint: $shown"
if ($Fingerprint) {
    if (($Fingerprint -replace "\s", "").ToLower() -ne $sums) {
        Stop-Install "the kit's fingerprint is not the one you gave: do not use this kit, and tell your organisation."
    }
    Write-Host "It matches the fingerprint you gave."
} else {
    Write-Host "Compare it with the fingerprint your organisation published (every group)."
    if ((Read-Host "Is it exactly the same? Type yes to install") -ne "yes") { Stop-Install "you did not confirm the fingerprint." }
}

if (-not $Prefix) { $Prefix = Join-Path $env:LOCALAPPDATA "CandourDesk" }
New-Item -ItemType Directory -Force -Path $Prefix | Out-Null
$Venv = Join-Path $Prefix "venv"
if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
& $PyExe @PyArgs -m venv --without-pip $Venv
if ($LASTEXITCODE -ne 0) { Stop-Install "this Python cannot make a virtual environment." }
$VPy = Join-Path $Venv "Scripts\python.exe"
$PipWheel = Get-ChildItem (Join-Path $Kit "wheels") -Filter "pip-*.whl" | Select-Object -First 1
if (-not $PipWheel) { Stop-Install "the kit has no pip wheel: copy the whole kit again." }
& $VPy (Join-Path $PipWheel.FullName "pip") install --quiet --no-index --no-cache-dir --disable-pip-version-check `
    --find-links (Join-Path $Kit "wheels") pynacl textual *> (Join-Path $Prefix "install.log")
if ($LASTEXITCODE -ne 0) { Stop-Install "the bundled wheels do not fit this computer; see $Prefix\install.log." }
Copy-Item -Force (Join-Path $Kit "candour.pyz") (Join-Path $Prefix "candour.pyz")

$Pyz = Join-Path $Prefix "candour.pyz"
$Batch = Join-Path $Prefix "candour-desk.cmd"
Set-Content -Encoding ASCII -Path $Batch -Value "@`"$VPy`" `"$Pyz`" desk %*"
$Shell = New-Object -ComObject WScript.Shell
$Programs = [Environment]::GetFolderPath("Programs")
$Shortcut = $Shell.CreateShortcut((Join-Path $Programs "Candour Desk.lnk"))
$Shortcut.TargetPath = $Batch
$Shortcut.WorkingDirectory = $Prefix
$Shortcut.Description = "Read and answer Candour reports offline"
$Shortcut.Save()
& $VPy $Pyz --help *> $null
if ($LASTEXITCODE -ne 0) { Stop-Install "the installed kit does not start; see README.txt." }
Write-Host "Installed in $Prefix. Start it from the Start menu: Candour Desk."
