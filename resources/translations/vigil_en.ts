<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name></name>
    <message>
        <source>No zones: every face in the picture counts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 exclusion zone(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, counting zone set</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AccountsDialog</name>
    <message>
        <source>Vigil - accounts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add user…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disable…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set password…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logged in as {user} ({value}). Every change is audited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Added {value} {name}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil - disable {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why is {name} disabled? (recorded in the audit log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disabled {name}; it can no longer log in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enabled {name}; it can log in again with its password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password of {name} changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> Tell them the new one in person.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AddUserForm</name>
    <message>
        <source>operator - watches cameras, acknowledges events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>supervisor - also exports evidence, reviews matches, reports</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>admin - also manages cameras, accounts and watchlists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil - add an account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. j.smith</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{MIN_LENGTH}+ characters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Action</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Details</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AuditViewer</name>
    <message>
        <source>action starts with, e.g. watchlist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verify chain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} entries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>chain intact: {rows} rows; newest hash {value}...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CHAIN BROKEN at row {first_broken_seq}: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BookmarkDialog</name>
    <message>
        <source>Bookmark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>required, e.g. bag left at the entrance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evidence lock: never delete this range</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set in and out marks ([ and ]) to lock a range</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>required for a lock, e.g. police request PD-2026/0301</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>until released</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the bookmark a name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An evidence lock needs a reason.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CameraForm</name>
    <message>
        <source>optional low-resolution stream for small tiles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>USB devices: scanning…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Record</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> analyses/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Zones…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Draw exclusion zones and a counting zone on a frame of this camera (Ctrl+Shift+Z)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Source</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sub-stream</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analysis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zones</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the camera a name operators will recognise.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a site first: every camera belongs to a site.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sub-stream: {sub_problem}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>USB devices: {count} found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>USB devices: none found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>USB camera {i}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video (*.mp4 *.mkv *.avi *.mov);;All (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TCP</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UDP</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How an rtsp:// camera sends its video: TCP passes firewalls and NAT, UDP has less delay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RTSP transport</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CameraList</name>
    <message>
        <source>No site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  (disabled)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CameraManagerDialog</name>
    <message>
        <source>Cameras and sites</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>site name, e.g. Riverside Mall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rename</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sites</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type the site&apos;s name first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a site and type its new name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} still has cameras ({join}): move or remove them first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a site first: every camera belongs to a site.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera {n}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  [disabled]</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CameraTile</name>
    <message>
        <source>CONNECTING</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RECONNECTING</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OFFLINE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>STOPPED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drop a camera here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NO VIDEO</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>last frame {age} ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no frame yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} h</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CityWindow</name>
    <message>
        <source>Vigil - city</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the roll-up database: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 malls, %2 cameras · %3 (read-only)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Compliance</name>
    <message>
        <source>{decided} decided of {people} person</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{decided} decided of {people} people</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{basis} - too few</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no clear verdict</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ComplianceView</name>
    <message>
        <source>Last hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This shift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>30 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Custom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All malls, or one mall&apos;s entrance cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overlay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stacked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target compliance line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Report…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Range</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click a point to list the events of that minute.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Event</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Track</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No data yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All malls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} › entrances</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The range is empty: &apos;to&apos; must be after &apos;from&apos;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} line(s) · {bucket_min} min buckets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} event(s) · {label} · {a:%Y-%m-%d %H:%M}–{b:%H:%M %Z}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CsvReport</name>
    <message>
        <source>site_id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hour_start_local</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hour_start_utc</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>people</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>masked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unmasked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>incorrect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>compliance_pct</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>live_minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>decided</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>too_few_decided</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EnrolmentDialog</name>
    <message>
        <source>Enrol a person - site {site_id}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} (threshold {threshold:.2f})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. banned for theft on 3 May, incident 117</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. site ban notice no. 12 / applicable law</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add photo...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only the face embeddings are kept, never the photos.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enrol</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name / label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Legal basis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no face found in {name}; choose a sharper, frontal photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} shows {count} faces: click the person to enrol</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}: face {size:.0f} px</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} face(s) ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos of the person</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.jpg *.jpeg *.png *.webp *.bmp)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>site {site_id} has no watchlist yet; an admin must create one first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>add at least one photo with the person&apos;s face</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EventPanel</name>
    <message>
        <source>All events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>People (no mask, incorrect, watchlist)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras (offline/online)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All sites</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Events  ·  {shown} shown  ·  {pending} to acknowledge</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EventTableModel</name>
    <message>
        <source>No mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mask worn incorrectly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist match</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Event</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  (acknowledged by {user})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{event} on {camera} at {when}  {message}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export evidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Burn in time, camera name and face boxes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blur every face</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep this person sharp (event #{keep_event})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The person of this event stays recognisable in the whole clip; every other face is covered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>required, e.g. theft reported by shop 12</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional, e.g. PD-2025/0412</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From (local)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To (local)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Options</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Case reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every export is written to the audit log with your name and the reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A reason is required: say why this footage is exported.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose at least one camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the folder to save the export in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export cancelled; nothing was kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export failed ({name}: {exc}); see the log.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved in {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Manifest SHA-256 {manifest_sha256}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The selected person was not found; every face is blurred.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The mask model was unavailable; boxes are drawn as uncertain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not recorded on {cid}: {time} – {time2}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skipped a damaged recording on {cid}: {time} – {time2} ({file}: {why})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UTC {time} → {time2}  ({seconds:.0f} s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the export in</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LockBanner</name>
    <message>
        <source>Log in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{user}&apos;s session is locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody is logged in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who}: the cameras keep running, the controls are off until someone logs in.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LocksDialog</name>
    <message>
        <source>Bookmarks and evidence locks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>#</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Release lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click a row to play it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>until released</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LOCKED ({until}): {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>released by {who}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expired</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Vigil - create the admin account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil - log in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First start: choose the administrator&apos;s name and password (8+ characters).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the two passwords differ</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MatchReviewDialog</name>
    <message>
        <source>Watchlist match - event {event_id}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{identity_label}&lt;/b&gt; on list &lt;b&gt;{watchlist_name}&lt;/b&gt;&lt;br&gt;camera {camera_id}, {when}&lt;br&gt;similarity {similarity:.2f}, margin {margin:.2f}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>note (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not this person</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reviewed: {review} by {reviewed_by}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NoticeStrip</name>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>+{value} more</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PasswordForm</name>
    <message>
        <source>Vigil - change my password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil - reset the password of {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{MIN_LENGTH}+ characters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sets a new password for {name} and lifts a lock-out after failed logins.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PlaybackHooks</name>
    <message>
        <source>Playback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Playback / live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export needs a logged-in supervisor.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmark not saved: {why}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evidence lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{what} saved for {n} camera(s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evidence lock #{id} released.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PlaybackTile</name>
    <message>
        <source>overlay: stored</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>overlay: analysed now, no face found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>overlay: analysed now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>overlay: analysis unavailable ({why})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>overlay: analysing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No recording at {when}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recording damaged at {when} ({why}); playback goes on with the next one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot play this recording: {why}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NO MASK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>incorrect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>watchlist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PLAYBACK</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PlaybackView</name>
    <message>
        <source>Live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to the live wall (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back 1 minute (Shift+Left)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back 10 seconds (Left)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Previous frame (,)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play backwards (R)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play / pause (Space)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next frame (.)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Forward 10 seconds (Right)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Forward 1 minute (Shift+Right)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Playback speed (+ / -)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go to a local time (G, then Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play from the typed time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In [</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set the in mark here ([)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Out ]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set the out mark here (])</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the marked range of these cameras (E)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmark…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmark this moment or the marked range (M)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Locks…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmarks and evidence locks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom the time bar in (wheel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom the time bar out (wheel)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <source>Compliance report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>choose at least one mall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrote {path} ({sites} mall(s)).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save report</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReportJob</name>
    <message>
        <source>report cancelled; no file written</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>internal error: {exc} (details in the log file)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReportPdf</name>
    <message>
        <source>Vigil mask compliance report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{site} – mask compliance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> ({zone}) · {cameras} camera(s) · generated {when}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compliance - too few</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compliance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>People · decided</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Masked / clear verdicts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Uncertain · no verdict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera live time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{hours} h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compliance % (line, left axis) · visitors (bars, right axis) · grey: no camera live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Worst hours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No hour with at least 5 clear verdicts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{masked} of {decided} masked, {unmasked} unmasked, {incorrect} incorrect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>People</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Masked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmasked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incorrect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Uncertain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No verdict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>… {more} more rows: see the CSV report</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RoleActions</name>
    <message>
        <source>Export evidence…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Review watchlist match…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Admin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accounts…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enrol person…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist matching per site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit log…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock / switch user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change my password…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exported to {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a watchlist match in the events list first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This match is not in the database yet; open it again in a moment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No sites yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Person enrolled (entry {iid}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist matching {value} - site {site_id}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason (recorded in the audit log):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watchlist matching {value} for site {site_id}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The password of {user} was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil - audit log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the last 5 minutes…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Maximise / restore</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play from 10 s before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export ±10 s…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Review match…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SourceField</name>
    <message>
        <source>rtsp://user:password@host:554/stream, a video file, or a USB index</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StationGui</name>
    <message>
        <source>No screen {n}: this machine has {count} screen(s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No cameras yet: open Cameras &gt; Manage cameras (Ctrl+M) to add one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mask analysis unavailable: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Event store: {error}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StationList</name>
    <message>
        <source>Station</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last heartbeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backlog</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Events today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click a mall to show only its compliance and events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the roll-up database: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>silent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 days ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (outbox full)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 stations online</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StationStatusBar</name>
    <message>
        <source>B</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>GB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras {live}/{total} live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analysis {0} fps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analysis {0} fps · scan {1}%/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan: share of each frame searched at tile resolution per second for small faces (mean over cameras); the CPU governor lowers it when the machine is busy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU {cpu_percent:.0f}% · Vigil {cpu_percent2:.0f}%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Memory {size_text}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database {size_text}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database -</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analysis restarted {0}×</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last at {0}: {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Analysis: {0}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StationTray</name>
    <message>
        <source>Hide to tray (recording and analysis continue)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil: the station is running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the station</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit Vigil</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StationWindow</name>
    <message>
        <source>Wall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compliance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} is offline: {value}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no frames</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} is back: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to acknowledge.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not record the acknowledgement: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not record the acknowledgement ({name}); see the log.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Vigil - {user} ({value})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logged in as {user} ({value}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings not saved: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applying camera settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera settings not applied: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera settings applied: {count} cameras running.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TimeBar</name>
    <message>
        <source>{kind} at {when} (double-click: play from 10 s before)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evidence lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TimelinePlot</name>
    <message>
        <source>compliance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>visitors</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label} · {when}: offline (no camera live)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label} · {when}: {compliance} · {masked} masked, {unmasked} unmasked, {incorrect} incorrect · undecided {undecided} (uncertain {uncertain}, no verdict {unknown}) · live {live} camera-min</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UserError</name>
    <message>
        <source>disabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>locked until {until}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active, 1 failed login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active, {count} failed logins</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invalid user name {name!r}: use 1-64 letters, digits, &apos;.&apos;, &apos;_&apos;, &apos;-&apos; or &apos;@&apos;, starting with a letter or digit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>password refused: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accounts already exist; log in as an admin to add more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the account {name} already exists; choose another name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no account named {name}; see &apos;vigil users list&apos;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the account {name} is already disabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} is the last active admin; add another admin before disabling it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} is your own account: you cannot disable yourself; ask another admin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the account {name} is already active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the current password is wrong; the password was not changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wrong user name or password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the account {name} is disabled; ask an admin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the account {name} is locked after {MAX_FAILURES} failed logins; try again in {minutes} min or ask an admin to reset the password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wrong password; the account {name} is now locked for {minutes} min after {MAX_FAILURES} failures</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wrong user name or password ({tries} tries left before lock-out)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a password needs at least {MIN_LENGTH} characters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a password must not start or end with spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log in first: {permission} needs an account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the session of {user} has expired (idle); log in again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the account {user} was disabled or removed; ask an admin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{user} ({role}) may not {permission}: it needs the {need} role; ask {article} {need} to do it</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UserTableModel</name>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}  (you)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> by {created_by}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <source>Vigil wall - {name}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layout {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layout 1+5 (big tile)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layout 1+7 (big tile)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next page of cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Previous page of cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave maximised tile / full screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Full screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face boxes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Face labels (track, size, watchlist)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera name, fps and clock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Carousel in the last tile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compliance timeline / wall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Walls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open wall on screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Cameras</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Manage cameras and sites…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledge event</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Flash the tile on a new unmasked person</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play a sound on a new unmasked person</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wall layout (keys 1-7)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>named layout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved layouts: pick one to show it, or type a name and press Save layout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save layout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Screen {n}: {name} ({width}x{height})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a name for the layout first (in the layout box of the toolbar).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layout &apos;{name}&apos; saved.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ZoneCanvas</name>
    <message>
        <source>Waiting for a frame from the camera…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ZoneEditorDialog</name>
    <message>
        <source>Zones: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Exclusion zone (E)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Faces centred here are ignored: signs, posters, screens, staff desks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Counting zone (C)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only people seen inside it count for compliance; one per camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delete zone (Del)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;New frame (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click to place points. Double-click or Enter closes the polygon; right-click or Backspace removes the last point; Esc drops it. Select a zone in the list and press Del to delete it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep zones</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Draw</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zones of this camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading a frame from the camera…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a zone in the list first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close the polygon you are drawing (double-click or Enter) or drop it (Esc).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Frame from the camera, %1x%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 point(s): double-click or Enter to close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exclusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1. %2 · %3 pts · %4 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 % of the frame</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>_Form</name>
    <message>
        <source>the two passwords differ; type the new password twice</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>connection_probe</name>
    <message>
        <source>No source: enter a URL, a video file or a USB index.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File not found: {shown}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: check the address, port and credentials.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opened {shown} but no frame arrived within the timeout.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected: {w}x{h}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: {exc}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: wrong user name or password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: the camera needs a user name and password (rtsp://user:password@host/...).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: the camera forbids this user to watch the stream.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: stream not found on the camera; check the path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: the camera refused the connection; check the address and port.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: no answer from the camera; check the address and the network.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot open {shown}: host not found; check the address.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>overlay</name>
    <message>
        <source>mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NO MASK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>incorrect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>source_field</name>
    <message>
        <source>File not found: {text}. Pick an existing video file or enter a camera URL.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
