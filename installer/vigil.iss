; Inno Setup 6 script: the Windows installer of Vigil, from the Windows folder build.
;
; On a Windows build machine (x64, Python 3.11, Inno Setup 6.3 or later), from the repository root:
;   py -3.11 -m venv .venv
;   .venv\Scripts\python -m pip install -e .[package]      (pulls onnxruntime-directml and imageio-ffmpeg
;                                                           through the markers in pyproject.toml)
;   .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller installer\vigil.spec
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" installer\vigil.iss
; gives dist\vigil-<version>-setup.exe. The spec builds dist\vigil\vigil.exe (windowed: the station) and
; dist\vigil\vigil-cli.exe (console: vigil-cli run --headless, export, verify, users, ...) in one folder;
; DirectML.dll (onnxruntime-directml) and ffmpeg.exe (imageio-ffmpeg) come along inside _internal\.
;
; User data is never part of the package: settings in %APPDATA%\Vigil, the database, recordings, logs and
; the station's signing key in %LOCALAPPDATA%\Vigil (app/paths.py). The installer never writes there and the
; uninstaller deletes only the files it installed, so upgrades and uninstalls keep every user's data.
;
; NOT BUILT OR RUN HERE: this script was written on Linux, where neither the Windows folder build nor ISCC can
; run; it has not been compiled or installed.

#define AppName "Vigil"
; AppVersion: keep equal to [project] version in pyproject.toml (tests/unit/test_packaging.py checks it)
#define AppVersion "0.1.0"
#define AppPublisher "Vigil"
#define AppExe "vigil.exe"
#define CliExe "vigil-cli.exe"
#define BuildDir "..\dist\vigil"

[Setup]
; The AppId identifies the product across versions: never change it, or upgrades install side by side.
AppId={{7C3E1F52-4B0A-4D59-9E4B-3A6F1D2C8B71}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; per-machine by default (Program Files); the dialog lets a user without admin rights install for themselves
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist
OutputBaseFilename=vigil-{#AppVersion}-setup
SetupIconFile=..\resources\icons\vigil.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; an upgrade closes a running station first (it holds the database and the cameras)
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "ru"; MessagesFile: "compiler:Languages\Russian.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; the whole folder build; an upgrade replaces it (old files of the previous version are removed first)
Source: "{#BuildDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; a previous version's bundle: its _internal\ may hold libraries this version no longer ships
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "CCTV monitoring station"
Name: "{group}\{#AppName} command line"; Filename: "{cmd}"; Parameters: "/k ""{app}\{#CliExe}"" --help"; WorkingDir: "{userdocs}"; Comment: "vigil-cli: run --headless, export, verify, users"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] entries on purpose: %APPDATA%\Vigil and %LOCALAPPDATA%\Vigil (settings, database,
; recordings, exports' signing key) stay. To remove them too, delete those two folders by hand.

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\Vigil');
    if DirExists(DataDir) and not UninstallSilent then
      MsgBox('Vigil was removed. Your settings, database and recordings were kept in ' + DataDir +
        ' and ' + ExpandConstant('{userappdata}\Vigil') + '; delete those folders to remove them too.',
        mbInformation, MB_OK);
  end;
end;
