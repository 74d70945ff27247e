<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name></name>
    <message>
        <source>No zones: every face in the picture counts.</source>
        <translation>Зон нет: учитывается каждое лицо в кадре.</translation>
    </message>
    <message>
        <source>%1 exclusion zone(s)</source>
        <translation>Зон исключения: %1</translation>
    </message>
    <message>
        <source>, counting zone set</source>
        <translation>, зона подсчёта задана</translation>
    </message>
</context>
<context>
    <name>AccountsDialog</name>
    <message>
        <source>Vigil - accounts</source>
        <translation>Vigil — учётные записи</translation>
    </message>
    <message>
        <source>Add user…</source>
        <translation>Добавить пользователя…</translation>
    </message>
    <message>
        <source>Disable…</source>
        <translation>Отключить…</translation>
    </message>
    <message>
        <source>Enable</source>
        <translation>Включить</translation>
    </message>
    <message>
        <source>Set password…</source>
        <translation>Задать пароль…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Logged in as {user} ({value}). Every change is audited.</source>
        <translation>Вы вошли как {user} ({value}). Каждое изменение записывается в журнал аудита.</translation>
    </message>
    <message>
        <source>Added {value} {name}.</source>
        <translation>Добавлен пользователь {name} ({value}).</translation>
    </message>
    <message>
        <source>Vigil - disable {name}</source>
        <translation>Vigil — отключить {name}</translation>
    </message>
    <message>
        <source>Why is {name} disabled? (recorded in the audit log)</source>
        <translation>Почему {name} отключается? (будет записано в журнал аудита)</translation>
    </message>
    <message>
        <source>Disabled {name}; it can no longer log in.</source>
        <translation>Учётная запись {name} отключена: вход больше невозможен.</translation>
    </message>
    <message>
        <source>Enabled {name}; it can log in again with its password.</source>
        <translation>Учётная запись {name} включена: вход снова возможен со старым паролем.</translation>
    </message>
    <message>
        <source>Password of {name} changed.</source>
        <translation>Пароль пользователя {name} изменён.</translation>
    </message>
    <message>
        <source> Tell them the new one in person.</source>
        <translation> Сообщите новый пароль лично.</translation>
    </message>
</context>
<context>
    <name>AddUserForm</name>
    <message>
        <source>operator - watches cameras, acknowledges events</source>
        <translation>оператор — смотрит камеры, подтверждает события</translation>
    </message>
    <message>
        <source>supervisor - also exports evidence, reviews matches, reports</source>
        <translation>старший смены — также экспортирует записи, проверяет совпадения, строит отчёты</translation>
    </message>
    <message>
        <source>admin - also manages cameras, accounts and watchlists</source>
        <translation>администратор — также управляет камерами, учётными записями и стоп-листами</translation>
    </message>
    <message>
        <source>Vigil - add an account</source>
        <translation>Vigil — новая учётная запись</translation>
    </message>
    <message>
        <source>e.g. j.smith</source>
        <translation>например, i.ivanov</translation>
    </message>
    <message>
        <source>{MIN_LENGTH}+ characters</source>
        <translation>не менее {MIN_LENGTH} символов</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Имя пользователя</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Роль</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>Повторите</translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <source>Time</source>
        <translation>Время</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Пользователь</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Действие</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Объект действия</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Подробности</translation>
    </message>
</context>
<context>
    <name>AuditViewer</name>
    <message>
        <source>action starts with, e.g. watchlist.</source>
        <translation>действие начинается с, например watchlist.</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Показать</translation>
    </message>
    <message>
        <source>Verify chain</source>
        <translation>Проверить цепочку</translation>
    </message>
    <message>
        <source>{count} entries</source>
        <translation>Записей: {count}</translation>
    </message>
    <message>
        <source>chain intact: {rows} rows; newest hash {value}...</source>
        <translation>цепочка цела: {rows} записей; последний хеш {value}...</translation>
    </message>
    <message>
        <source>CHAIN BROKEN at row {first_broken_seq}: {reason}</source>
        <translation>ЦЕПОЧКА НАРУШЕНА в записи {first_broken_seq}: {reason}</translation>
    </message>
</context>
<context>
    <name>BookmarkDialog</name>
    <message>
        <source>Bookmark</source>
        <translation>Закладка</translation>
    </message>
    <message>
        <source>required, e.g. bag left at the entrance</source>
        <translation>обязательно, например: оставлена сумка у входа</translation>
    </message>
    <message>
        <source>Evidence lock: never delete this range</source>
        <translation>Защита записи: никогда не удалять этот интервал</translation>
    </message>
    <message>
        <source>Set in and out marks ([ and ]) to lock a range</source>
        <translation>Поставьте метки начала и конца ([ и ]), чтобы защитить интервал</translation>
    </message>
    <message>
        <source>required for a lock, e.g. police request PD-2026/0301</source>
        <translation>обязательно для защиты, например: запрос полиции № 2026/0301</translation>
    </message>
    <message>
        <source>until released</source>
        <translation>до снятия защиты</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>Камеры</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Время</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Примечание</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Срок действия</translation>
    </message>
    <message>
        <source>Give the bookmark a name.</source>
        <translation>Дайте закладке название.</translation>
    </message>
    <message>
        <source>An evidence lock needs a reason.</source>
        <translation>Для защиты записи нужна причина.</translation>
    </message>
</context>
<context>
    <name>CameraForm</name>
    <message>
        <source>optional low-resolution stream for small tiles</source>
        <translation>необязательный поток низкого разрешения для маленьких ячеек</translation>
    </message>
    <message>
        <source>USB devices: scanning…</source>
        <translation>USB-устройства: поиск…</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>Файл…</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Включена</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Запись</translation>
    </message>
    <message>
        <source> analyses/s</source>
        <translation> анализов/с</translation>
    </message>
    <message>
        <source>&amp;Zones…</source>
        <translation>&amp;Зоны…</translation>
    </message>
    <message>
        <source>Draw exclusion zones and a counting zone on a frame of this camera (Ctrl+Shift+Z)</source>
        <translation>Нарисовать зоны исключения и зону подсчёта на кадре этой камеры (Ctrl+Shift+Z)</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>Проверить подключение</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>Код</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>Объект</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Источник</translation>
    </message>
    <message>
        <source>Sub-stream</source>
        <translation>Дополнительный поток</translation>
    </message>
    <message>
        <source>Analysis</source>
        <translation>Анализ</translation>
    </message>
    <message>
        <source>Zones</source>
        <translation>Зоны</translation>
    </message>
    <message>
        <source>Give the camera a name operators will recognise.</source>
        <translation>Дайте камере понятное операторам название.</translation>
    </message>
    <message>
        <source>Add a site first: every camera belongs to a site.</source>
        <translation>Сначала добавьте объект: каждая камера относится к объекту.</translation>
    </message>
    <message>
        <source>Sub-stream: {sub_problem}</source>
        <translation>Дополнительный поток: {sub_problem}</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>Проверка…</translation>
    </message>
    <message>
        <source>USB devices: {count} found</source>
        <translation>USB-устройства: найдено {count}</translation>
    </message>
    <message>
        <source>USB devices: none found</source>
        <translation>USB-устройства: не найдены</translation>
    </message>
    <message>
        <source>USB camera {i}</source>
        <translation>USB-камера {i}</translation>
    </message>
    <message>
        <source>Video file</source>
        <translation>Видеофайл</translation>
    </message>
    <message>
        <source>Video (*.mp4 *.mkv *.avi *.mov);;All (*)</source>
        <translation>Видео (*.mp4 *.mkv *.avi *.mov);;Все файлы (*)</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Автоматически</translation>
    </message>
    <message>
        <source>TCP</source>
        <translation>TCP</translation>
    </message>
    <message>
        <source>UDP</source>
        <translation>UDP</translation>
    </message>
    <message>
        <source>How an rtsp:// camera sends its video: TCP passes firewalls and NAT, UDP has less delay</source>
        <translation>Как камера rtsp:// передаёт видео: TCP проходит через межсетевые экраны и NAT, у UDP меньше задержка</translation>
    </message>
    <message>
        <source>RTSP transport</source>
        <translation>Транспорт RTSP</translation>
    </message>
</context>
<context>
    <name>CameraList</name>
    <message>
        <source>No site</source>
        <translation>Без объекта</translation>
    </message>
    <message>
        <source>  (disabled)</source>
        <translation>  (отключена)</translation>
    </message>
</context>
<context>
    <name>CameraManagerDialog</name>
    <message>
        <source>Cameras and sites</source>
        <translation>Камеры и объекты</translation>
    </message>
    <message>
        <source>site name, e.g. Riverside Mall</source>
        <translation>название объекта, например ТЦ «Речной»</translation>
    </message>
    <message>
        <source>Add site</source>
        <translation>Добавить объект</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Переименовать</translation>
    </message>
    <message>
        <source>Remove site</source>
        <translation>Удалить объект</translation>
    </message>
    <message>
        <source>Add camera</source>
        <translation>Добавить камеру</translation>
    </message>
    <message>
        <source>Remove camera</source>
        <translation>Удалить камеру</translation>
    </message>
    <message>
        <source>Sites</source>
        <translation>Объекты</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>Камеры</translation>
    </message>
    <message>
        <source>Type the site&apos;s name first.</source>
        <translation>Сначала введите название объекта.</translation>
    </message>
    <message>
        <source>Select a site and type its new name.</source>
        <translation>Выберите объект и введите новое название.</translation>
    </message>
    <message>
        <source>{name} still has cameras ({join}): move or remove them first.</source>
        <translation>У объекта {name} ещё есть камеры ({join}): сначала перенесите или удалите их.</translation>
    </message>
    <message>
        <source>Add a site first: every camera belongs to a site.</source>
        <translation>Сначала добавьте объект: каждая камера относится к объекту.</translation>
    </message>
    <message>
        <source>Camera {n}</source>
        <translation>Камера {n}</translation>
    </message>
    <message>
        <source>  [disabled]</source>
        <translation>  [отключена]</translation>
    </message>
</context>
<context>
    <name>CameraTile</name>
    <message>
        <source>CONNECTING</source>
        <translation>ПОДКЛЮЧЕНИЕ</translation>
    </message>
    <message>
        <source>RECONNECTING</source>
        <translation>ПЕРЕПОДКЛЮЧЕНИЕ</translation>
    </message>
    <message>
        <source>OFFLINE</source>
        <translation>НЕТ СВЯЗИ</translation>
    </message>
    <message>
        <source>STOPPED</source>
        <translation>ОСТАНОВЛЕНА</translation>
    </message>
    <message>
        <source>drop a camera here</source>
        <translation>перетащите сюда камеру</translation>
    </message>
    <message>
        <source>NO VIDEO</source>
        <translation>НЕТ ВИДЕО</translation>
    </message>
    <message>
        <source>last frame {age} ago</source>
        <translation>последний кадр {age} назад</translation>
    </message>
    <message>
        <source>no frame yet</source>
        <translation>кадров ещё не было</translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation>{n} с</translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation>{n} мин</translation>
    </message>
    <message>
        <source>{n} h</source>
        <translation>{n} ч</translation>
    </message>
</context>
<context>
    <name>CityWindow</name>
    <message>
        <source>Vigil - city</source>
        <translation>Vigil — город</translation>
    </message>
    <message>
        <source>Malls</source>
        <translation>ТЦ</translation>
    </message>
    <message>
        <source>Cannot read the roll-up database: %1</source>
        <translation>Не удаётся прочитать сводную базу: %1</translation>
    </message>
    <message>
        <source>%1 malls, %2 cameras · %3 (read-only)</source>
        <translation>ТЦ: %1, камер: %2 · %3 (только чтение)</translation>
    </message>
</context>
<context>
    <name>Compliance</name>
    <message>
        <source>{decided} decided of {people} person</source>
        <translation>с вердиктом {decided} из {people} человека</translation>
    </message>
    <message>
        <source>{decided} decided of {people} people</source>
        <translation>с вердиктом {decided} из {people} человек</translation>
    </message>
    <message>
        <source>{basis} - too few</source>
        <translation>{basis} — слишком мало</translation>
    </message>
    <message>
        <source>no clear verdict</source>
        <translation>нет чётких вердиктов</translation>
    </message>
</context>
<context>
    <name>ComplianceView</name>
    <message>
        <source>Last hour</source>
        <translation>Последний час</translation>
    </message>
    <message>
        <source>This shift</source>
        <translation>Текущая смена</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Сегодня</translation>
    </message>
    <message>
        <source>7 days</source>
        <translation>7 дней</translation>
    </message>
    <message>
        <source>30 days</source>
        <translation>30 дней</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Произвольный</translation>
    </message>
    <message>
        <source>All malls, or one mall&apos;s entrance cameras</source>
        <translation>Все ТЦ или камеры входов одного ТЦ</translation>
    </message>
    <message>
        <source>Overlay</source>
        <translation>Наложить</translation>
    </message>
    <message>
        <source>Stacked</source>
        <translation>Друг под другом</translation>
    </message>
    <message>
        <source>Target compliance line</source>
        <translation>Целевой уровень соблюдения</translation>
    </message>
    <message>
        <source>Report…</source>
        <translation>Отчёт…</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Показать</translation>
    </message>
    <message>
        <source>Range</source>
        <translation>Период</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Цель</translation>
    </message>
    <message>
        <source>Click a point to list the events of that minute.</source>
        <translation>Щёлкните по точке, чтобы увидеть события этой минуты.</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Время</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Событие</translation>
    </message>
    <message>
        <source>Track</source>
        <translation>Трек</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>Подтверждено</translation>
    </message>
    <message>
        <source>No data yet</source>
        <translation>Данных пока нет</translation>
    </message>
    <message>
        <source>All malls</source>
        <translation>Все ТЦ</translation>
    </message>
    <message>
        <source>{name} › entrances</source>
        <translation>{name} › входы</translation>
    </message>
    <message>
        <source>The range is empty: &apos;to&apos; must be after &apos;from&apos;</source>
        <translation>Пустой период: «по» должно быть позже, чем «с»</translation>
    </message>
    <message>
        <source>{count} line(s) · {bucket_min} min buckets</source>
        <translation>Линий: {count} · интервалы по {bucket_min} мин</translation>
    </message>
    <message>
        <source>{count} event(s) · {label} · {a:%Y-%m-%d %H:%M}–{b:%H:%M %Z}</source>
        <translation>Событий: {count} · {label} · {a:%d.%m.%Y %H:%M}–{b:%H:%M %Z}</translation>
    </message>
</context>
<context>
    <name>CsvReport</name>
    <message>
        <source>site_id</source>
        <translation>код_объекта</translation>
    </message>
    <message>
        <source>site</source>
        <translation>объект</translation>
    </message>
    <message>
        <source>hour_start_local</source>
        <translation>начало_часа_местное</translation>
    </message>
    <message>
        <source>hour_start_utc</source>
        <translation>начало_часа_utc</translation>
    </message>
    <message>
        <source>people</source>
        <translation>людей</translation>
    </message>
    <message>
        <source>masked</source>
        <translation>в_маске</translation>
    </message>
    <message>
        <source>unmasked</source>
        <translation>без_маски</translation>
    </message>
    <message>
        <source>incorrect</source>
        <translation>маска_неправильно</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>неуверенно</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>нет_вердикта</translation>
    </message>
    <message>
        <source>compliance_pct</source>
        <translation>соблюдение_проц</translation>
    </message>
    <message>
        <source>live_minutes</source>
        <translation>минут_в_работе</translation>
    </message>
    <message>
        <source>decided</source>
        <translation>с_вердиктом</translation>
    </message>
    <message>
        <source>too_few_decided</source>
        <translation>мало_вердиктов</translation>
    </message>
</context>
<context>
    <name>EnrolmentDialog</name>
    <message>
        <source>Enrol a person - site {site_id}</source>
        <translation>Внести человека в стоп-лист — объект {site_id}</translation>
    </message>
    <message>
        <source>{name} (threshold {threshold:.2f})</source>
        <translation>{name} (порог {threshold:.2f})</translation>
    </message>
    <message>
        <source>e.g. banned for theft on 3 May, incident 117</source>
        <translation>например: запрет входа за кражу 3 мая, инцидент 117</translation>
    </message>
    <message>
        <source>e.g. site ban notice no. 12 / applicable law</source>
        <translation>например: уведомление о запрете входа № 12 / применимая норма закона</translation>
    </message>
    <message>
        <source> days</source>
        <translation> дн.</translation>
    </message>
    <message>
        <source>Add photo...</source>
        <translation>Добавить фото...</translation>
    </message>
    <message>
        <source>Only the face embeddings are kept, never the photos.</source>
        <translation>Хранятся только биометрические векторы лица, сами фотографии не сохраняются.</translation>
    </message>
    <message>
        <source>Enrol</source>
        <translation>Внести</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Watchlist</source>
        <translation>Стоп-лист</translation>
    </message>
    <message>
        <source>Name / label</source>
        <translation>Имя / метка</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Legal basis</source>
        <translation>Правовое основание</translation>
    </message>
    <message>
        <source>Expires after</source>
        <translation>Срок хранения</translation>
    </message>
    <message>
        <source>no face found in {name}; choose a sharper, frontal photo</source>
        <translation>на фото {name} лицо не найдено; выберите более чёткое фото анфас</translation>
    </message>
    <message>
        <source>{name} shows {count} faces: click the person to enrol</source>
        <translation>на фото {name} лиц: {count}; щёлкните по нужному человеку</translation>
    </message>
    <message>
        <source>{name}: face {size:.0f} px</source>
        <translation>{name}: лицо {size:.0f} пикс.</translation>
    </message>
    <message>
        <source>{count} face(s) ready</source>
        <translation>Готово лиц: {count}</translation>
    </message>
    <message>
        <source>Photos of the person</source>
        <translation>Фотографии человека</translation>
    </message>
    <message>
        <source>Images (*.jpg *.jpeg *.png *.webp *.bmp)</source>
        <translation>Изображения (*.jpg *.jpeg *.png *.webp *.bmp)</translation>
    </message>
    <message>
        <source>site {site_id} has no watchlist yet; an admin must create one first</source>
        <translation>у объекта {site_id} ещё нет стоп-листа; сначала его должен создать администратор</translation>
    </message>
    <message>
        <source>add at least one photo with the person&apos;s face</source>
        <translation>добавьте хотя бы одно фото с лицом человека</translation>
    </message>
</context>
<context>
    <name>EventPanel</name>
    <message>
        <source>All events</source>
        <translation>Все события</translation>
    </message>
    <message>
        <source>People (no mask, incorrect, watchlist)</source>
        <translation>Люди (без маски, маска неправильно, стоп-лист)</translation>
    </message>
    <message>
        <source>Cameras (offline/online)</source>
        <translation>Камеры (нет связи / снова в сети)</translation>
    </message>
    <message>
        <source>All sites</source>
        <translation>Все объекты</translation>
    </message>
    <message>
        <source>All cameras</source>
        <translation>Все камеры</translation>
    </message>
    <message>
        <source>Events  ·  {shown} shown  ·  {pending} to acknowledge</source>
        <translation>События  ·  показано: {shown}  ·  ждут подтверждения: {pending}</translation>
    </message>
</context>
<context>
    <name>EventTableModel</name>
    <message>
        <source>No mask</source>
        <translation>Без маски</translation>
    </message>
    <message>
        <source>Mask worn incorrectly</source>
        <translation>Маска надета неправильно</translation>
    </message>
    <message>
        <source>Watchlist match</source>
        <translation>Совпадение со стоп-листом</translation>
    </message>
    <message>
        <source>Camera offline</source>
        <translation>Камера не в сети</translation>
    </message>
    <message>
        <source>Camera online</source>
        <translation>Камера снова в сети</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Время</translation>
    </message>
    <message>
        <source>Face</source>
        <translation>Лицо</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>Событие</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>Объект</translation>
    </message>
    <message>
        <source>Ack</source>
        <translation>Подтв.</translation>
    </message>
    <message>
        <source>  (acknowledged by {user})</source>
        <translation>  (подтвердил(а) {user})</translation>
    </message>
    <message>
        <source>{event} on {camera} at {when}  {message}</source>
        <translation>{event}: {camera}, {when}  {message}</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export evidence</source>
        <translation>Экспорт доказательств</translation>
    </message>
    <message>
        <source>Burn in time, camera name and face boxes</source>
        <translation>Впечатать время, название камеры и рамки лиц</translation>
    </message>
    <message>
        <source>Blur every face</source>
        <translation>Размыть все лица</translation>
    </message>
    <message>
        <source>Keep this person sharp (event #{keep_event})</source>
        <translation>Не размывать этого человека (событие № {keep_event})</translation>
    </message>
    <message>
        <source>The person of this event stays recognisable in the whole clip; every other face is covered.</source>
        <translation>Человек из этого события остаётся узнаваемым во всём ролике; все остальные лица закрыты.</translation>
    </message>
    <message>
        <source>required, e.g. theft reported by shop 12</source>
        <translation>обязательно, например: кража, заявление магазина № 12</translation>
    </message>
    <message>
        <source>optional, e.g. PD-2025/0412</source>
        <translation>необязательно, например КУСП-2025/0412</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Выбрать…</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>Камеры</translation>
    </message>
    <message>
        <source>From (local)</source>
        <translation>С (местное время)</translation>
    </message>
    <message>
        <source>To (local)</source>
        <translation>По (местное время)</translation>
    </message>
    <message>
        <source>Options</source>
        <translation>Параметры</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Case reference</source>
        <translation>Номер дела</translation>
    </message>
    <message>
        <source>Save in</source>
        <translation>Сохранить в</translation>
    </message>
    <message>
        <source>Every export is written to the audit log with your name and the reason.</source>
        <translation>Каждый экспорт записывается в журнал аудита с вашим именем и причиной.</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Экспортировать</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>A reason is required: say why this footage is exported.</source>
        <translation>Нужна причина: укажите, зачем экспортируется эта запись.</translation>
    </message>
    <message>
        <source>Choose at least one camera.</source>
        <translation>Выберите хотя бы одну камеру.</translation>
    </message>
    <message>
        <source>Choose the folder to save the export in.</source>
        <translation>Выберите папку для сохранения экспорта.</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Экспорт…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Отмена…</translation>
    </message>
    <message>
        <source>Export cancelled; nothing was kept.</source>
        <translation>Экспорт отменён; ничего не сохранено.</translation>
    </message>
    <message>
        <source>Export failed ({name}: {exc}); see the log.</source>
        <translation>Экспорт не удался ({name}: {exc}); подробности в журнале.</translation>
    </message>
    <message>
        <source>Saved in {folder}</source>
        <translation>Сохранено в {folder}</translation>
    </message>
    <message>
        <source>Manifest SHA-256 {manifest_sha256}</source>
        <translation>SHA-256 манифеста {manifest_sha256}</translation>
    </message>
    <message>
        <source>The selected person was not found; every face is blurred.</source>
        <translation>Выбранный человек не найден; размыты все лица.</translation>
    </message>
    <message>
        <source>The mask model was unavailable; boxes are drawn as uncertain.</source>
        <translation>Модель распознавания масок была недоступна; рамки показаны как «не определено».</translation>
    </message>
    <message>
        <source>Not recorded on {cid}: {time} – {time2}</source>
        <translation>Нет записи на {cid}: {time} – {time2}</translation>
    </message>
    <message>
        <source>Skipped a damaged recording on {cid}: {time} – {time2} ({file}: {why})</source>
        <translation>Пропущена повреждённая запись на {cid}: {time} – {time2} ({file}: {why})</translation>
    </message>
    <message>
        <source>Export again</source>
        <translation>Экспортировать ещё раз</translation>
    </message>
    <message>
        <source>UTC {time} → {time2}  ({seconds:.0f} s)</source>
        <translation>UTC {time} → {time2}  ({seconds:.0f} с)</translation>
    </message>
    <message>
        <source>Save the export in</source>
        <translation>Сохранить экспорт в</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
</context>
<context>
    <name>LockBanner</name>
    <message>
        <source>Log in…</source>
        <translation>Войти…</translation>
    </message>
    <message>
        <source>{user}&apos;s session is locked</source>
        <translation>Сеанс пользователя {user} заблокирован</translation>
    </message>
    <message>
        <source>Nobody is logged in</source>
        <translation>Никто не вошёл в систему</translation>
    </message>
    <message>
        <source>{who}: the cameras keep running, the controls are off until someone logs in.</source>
        <translation>{who}: камеры продолжают работать, управление недоступно до входа пользователя.</translation>
    </message>
</context>
<context>
    <name>LocksDialog</name>
    <message>
        <source>Bookmarks and evidence locks</source>
        <translation>Закладки и защищённые записи</translation>
    </message>
    <message>
        <source>#</source>
        <translation>№</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>From</source>
        <translation>С</translation>
    </message>
    <message>
        <source>To</source>
        <translation>По</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Защита</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Кто</translation>
    </message>
    <message>
        <source>Release lock</source>
        <translation>Снять защиту</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Double-click a row to play it.</source>
        <translation>Дважды щёлкните по строке, чтобы воспроизвести.</translation>
    </message>
    <message>
        <source>until released</source>
        <translation>до снятия защиты</translation>
    </message>
    <message>
        <source>LOCKED ({until}): {reason}</source>
        <translation>ЗАЩИЩЕНО ({until}): {reason}</translation>
    </message>
    <message>
        <source>released by {who}</source>
        <translation>защиту снял(а) {who}</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>срок истёк</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Vigil - create the admin account</source>
        <translation>Vigil — создание учётной записи администратора</translation>
    </message>
    <message>
        <source>Vigil - log in</source>
        <translation>Vigil — вход</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Пользователь</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>Повторите</translation>
    </message>
    <message>
        <source>First start: choose the administrator&apos;s name and password (8+ characters).</source>
        <translation>Первый запуск: задайте имя и пароль администратора (не менее 8 символов).</translation>
    </message>
    <message>
        <source>the two passwords differ</source>
        <translation>пароли не совпадают</translation>
    </message>
</context>
<context>
    <name>MatchReviewDialog</name>
    <message>
        <source>Watchlist match - event {event_id}</source>
        <translation>Совпадение со стоп-листом — событие {event_id}</translation>
    </message>
    <message>
        <source>&lt;b&gt;{identity_label}&lt;/b&gt; on list &lt;b&gt;{watchlist_name}&lt;/b&gt;&lt;br&gt;camera {camera_id}, {when}&lt;br&gt;similarity {similarity:.2f}, margin {margin:.2f}</source>
        <translation>&lt;b&gt;{identity_label}&lt;/b&gt; в списке &lt;b&gt;{watchlist_name}&lt;/b&gt;&lt;br&gt;камера {camera_id}, {when}&lt;br&gt;сходство {similarity:.2f}, отрыв {margin:.2f}</translation>
    </message>
    <message>
        <source>note (optional)</source>
        <translation>примечание (необязательно)</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>Подтверждаю</translation>
    </message>
    <message>
        <source>Not this person</source>
        <translation>Это не он(а)</translation>
    </message>
    <message>
        <source>reviewed: {review} by {reviewed_by}</source>
        <translation>проверено: {review}, проверил(а) {reviewed_by}</translation>
    </message>
</context>
<context>
    <name>NoticeStrip</name>
    <message>
        <source>Dismiss</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>+{value} more</source>
        <translation>ещё {value}</translation>
    </message>
</context>
<context>
    <name>PasswordForm</name>
    <message>
        <source>Vigil - change my password</source>
        <translation>Vigil — смена моего пароля</translation>
    </message>
    <message>
        <source>Vigil - reset the password of {name}</source>
        <translation>Vigil — сброс пароля пользователя {name}</translation>
    </message>
    <message>
        <source>{MIN_LENGTH}+ characters</source>
        <translation>не менее {MIN_LENGTH} символов</translation>
    </message>
    <message>
        <source>Current password</source>
        <translation>Текущий пароль</translation>
    </message>
    <message>
        <source>Sets a new password for {name} and lifts a lock-out after failed logins.</source>
        <translation>Задаёт новый пароль для {name} и снимает блокировку после неудачных попыток входа.</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>Новый пароль</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>Повторите</translation>
    </message>
</context>
<context>
    <name>PlaybackHooks</name>
    <message>
        <source>Playback</source>
        <translation>Архив</translation>
    </message>
    <message>
        <source>Playback / live</source>
        <translation>Архив / онлайн</translation>
    </message>
    <message>
        <source>Export needs a logged-in supervisor.</source>
        <translation>Для экспорта нужен вход старшего смены.</translation>
    </message>
    <message>
        <source>Bookmark not saved: {why}</source>
        <translation>Закладка не сохранена: {why}</translation>
    </message>
    <message>
        <source>Evidence lock</source>
        <translation>Защита записи</translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation>Закладка</translation>
    </message>
    <message>
        <source>{what} saved for {n} camera(s).</source>
        <translation>{what}: сохранено для камер: {n}.</translation>
    </message>
    <message>
        <source>Evidence lock #{id} released.</source>
        <translation>Защита записи № {id} снята.</translation>
    </message>
</context>
<context>
    <name>PlaybackTile</name>
    <message>
        <source>overlay: stored</source>
        <translation>разметка: из архива</translation>
    </message>
    <message>
        <source>overlay: analysed now, no face found</source>
        <translation>разметка: анализ сейчас, лиц не найдено</translation>
    </message>
    <message>
        <source>overlay: analysed now</source>
        <translation>разметка: анализ сейчас</translation>
    </message>
    <message>
        <source>overlay: analysis unavailable ({why})</source>
        <translation>разметка: анализ недоступен ({why})</translation>
    </message>
    <message>
        <source>overlay: analysing…</source>
        <translation>разметка: анализ…</translation>
    </message>
    <message>
        <source>No recording at {when}</source>
        <translation>Нет записи на {when}</translation>
    </message>
    <message>
        <source>Cannot play this recording: {why}</source>
        <translation>Не удаётся воспроизвести запись: {why}</translation>
    </message>
    <message>
        <source>Recording damaged at {when} ({why}); playback goes on with the next one</source>
        <translation>Запись повреждена с {when} ({why}); воспроизведение продолжится со следующей</translation>
    </message>
    <message>
        <source>NO MASK</source>
        <translation>БЕЗ МАСКИ</translation>
    </message>
    <message>
        <source>incorrect</source>
        <translation>неправильно</translation>
    </message>
    <message>
        <source>watchlist</source>
        <translation>стоп-лист</translation>
    </message>
    <message>
        <source>PLAYBACK</source>
        <translation>АРХИВ</translation>
    </message>
</context>
<context>
    <name>PlaybackView</name>
    <message>
        <source>Live</source>
        <translation>Онлайн</translation>
    </message>
    <message>
        <source>Back to the live wall (Esc)</source>
        <translation>Вернуться к онлайн-видеостене (Esc)</translation>
    </message>
    <message>
        <source>Back 1 minute (Shift+Left)</source>
        <translation>Назад на 1 минуту (Shift+←)</translation>
    </message>
    <message>
        <source>Back 10 seconds (Left)</source>
        <translation>Назад на 10 секунд (←)</translation>
    </message>
    <message>
        <source>Previous frame (,)</source>
        <translation>Предыдущий кадр (,)</translation>
    </message>
    <message>
        <source>Play backwards (R)</source>
        <translation>Воспроизвести назад (R)</translation>
    </message>
    <message>
        <source>Play / pause (Space)</source>
        <translation>Воспроизведение / пауза (Пробел)</translation>
    </message>
    <message>
        <source>Next frame (.)</source>
        <translation>Следующий кадр (.)</translation>
    </message>
    <message>
        <source>Forward 10 seconds (Right)</source>
        <translation>Вперёд на 10 секунд (→)</translation>
    </message>
    <message>
        <source>Forward 1 minute (Shift+Right)</source>
        <translation>Вперёд на 1 минуту (Shift+→)</translation>
    </message>
    <message>
        <source>Playback speed (+ / -)</source>
        <translation>Скорость воспроизведения (+ / -)</translation>
    </message>
    <message>
        <source>Go to a local time (G, then Enter)</source>
        <translation>Перейти к местному времени (G, затем Enter)</translation>
    </message>
    <message>
        <source>Go</source>
        <translation>Перейти</translation>
    </message>
    <message>
        <source>Play from the typed time</source>
        <translation>Воспроизвести с указанного времени</translation>
    </message>
    <message>
        <source>In [</source>
        <translation>Начало [</translation>
    </message>
    <message>
        <source>Set the in mark here ([)</source>
        <translation>Поставить здесь метку начала ([)</translation>
    </message>
    <message>
        <source>Out ]</source>
        <translation>Конец ]</translation>
    </message>
    <message>
        <source>Set the out mark here (])</source>
        <translation>Поставить здесь метку конца (])</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Экспорт…</translation>
    </message>
    <message>
        <source>Export the marked range of these cameras (E)</source>
        <translation>Экспортировать отмеченный интервал этих камер (E)</translation>
    </message>
    <message>
        <source>Bookmark…</source>
        <translation>Закладка…</translation>
    </message>
    <message>
        <source>Bookmark this moment or the marked range (M)</source>
        <translation>Добавить закладку на этот момент или отмеченный интервал (M)</translation>
    </message>
    <message>
        <source>Locks…</source>
        <translation>Защиты…</translation>
    </message>
    <message>
        <source>Bookmarks and evidence locks</source>
        <translation>Закладки и защищённые записи</translation>
    </message>
    <message>
        <source>Zoom the time bar in (wheel)</source>
        <translation>Приблизить шкалу времени (колесо мыши)</translation>
    </message>
    <message>
        <source>Zoom the time bar out (wheel)</source>
        <translation>Отдалить шкалу времени (колесо мыши)</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <source>Compliance report</source>
        <translation>Отчёт о соблюдении масочного режима</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Обзор…</translation>
    </message>
    <message>
        <source>Malls</source>
        <translation>ТЦ</translation>
    </message>
    <message>
        <source>From</source>
        <translation>С</translation>
    </message>
    <message>
        <source>To</source>
        <translation>По</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Формат</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Файл</translation>
    </message>
    <message>
        <source>choose at least one mall</source>
        <translation>выберите хотя бы один ТЦ</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Отчёт</translation>
    </message>
    <message>
        <source>Reading…</source>
        <translation>Чтение данных…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Wrote {path} ({sites} mall(s)).</source>
        <translation>Записан файл {path} (ТЦ: {sites}).</translation>
    </message>
    <message>
        <source>Save report</source>
        <translation>Сохранить отчёт</translation>
    </message>
</context>
<context>
    <name>ReportJob</name>
    <message>
        <source>report cancelled; no file written</source>
        <translation>отчёт отменён; файл не записан</translation>
    </message>
    <message>
        <source>internal error: {exc} (details in the log file)</source>
        <translation>внутренняя ошибка: {exc} (подробности в журнале)</translation>
    </message>
</context>
<context>
    <name>ReportPdf</name>
    <message>
        <source>Vigil mask compliance report</source>
        <translation>Vigil: отчёт о соблюдении масочного режима</translation>
    </message>
    <message>
        <source>{site} – mask compliance</source>
        <translation>{site} – соблюдение масочного режима</translation>
    </message>
    <message>
        <source> ({zone}) · {cameras} camera(s) · generated {when}</source>
        <translation> ({zone}) · камер: {cameras} · сформирован {when}</translation>
    </message>
    <message>
        <source>Compliance - too few</source>
        <translation>Соблюдение — мало данных</translation>
    </message>
    <message>
        <source>Compliance</source>
        <translation>Соблюдение</translation>
    </message>
    <message>
        <source>People · decided</source>
        <translation>Людей · с вердиктом</translation>
    </message>
    <message>
        <source>Masked / clear verdicts</source>
        <translation>В маске / вердиктов</translation>
    </message>
    <message>
        <source>Uncertain · no verdict</source>
        <translation>Неясно · без решения</translation>
    </message>
    <message>
        <source>Camera live time</source>
        <translation>Время работы камер</translation>
    </message>
    <message>
        <source>{hours} h</source>
        <translation>{hours} ч</translation>
    </message>
    <message>
        <source>Compliance % (line, left axis) · visitors (bars, right axis) · grey: no camera live</source>
        <translation>Соблюдение, % (линия, левая ось) · посетители (столбцы, правая ось) · серым: ни одна камера не работала</translation>
    </message>
    <message>
        <source>Worst hours</source>
        <translation>Худшие часы</translation>
    </message>
    <message>
        <source>No hour with at least 5 clear verdicts.</source>
        <translation>Нет ни одного часа хотя бы с 5 чёткими вердиктами.</translation>
    </message>
    <message>
        <source>{masked} of {decided} masked, {unmasked} unmasked, {incorrect} incorrect</source>
        <translation>в маске {masked} из {decided}, без маски {unmasked}, маска неправильно {incorrect}</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>Период</translation>
    </message>
    <message>
        <source>People</source>
        <translation>Людей</translation>
    </message>
    <message>
        <source>Masked</source>
        <translation>В маске</translation>
    </message>
    <message>
        <source>Unmasked</source>
        <translation>Без маски</translation>
    </message>
    <message>
        <source>Incorrect</source>
        <translation>Неправ.</translation>
    </message>
    <message>
        <source>Uncertain</source>
        <translation>Неясно</translation>
    </message>
    <message>
        <source>No verdict</source>
        <translation>Без верд.</translation>
    </message>
    <message>
        <source>Live min</source>
        <translation>Мин. работы</translation>
    </message>
    <message>
        <source>… {more} more rows: see the CSV report</source>
        <translation>… ещё строк: {more}; см. отчёт CSV</translation>
    </message>
</context>
<context>
    <name>RoleActions</name>
    <message>
        <source>Export evidence…</source>
        <translation>Экспорт доказательств…</translation>
    </message>
    <message>
        <source>Review watchlist match…</source>
        <translation>Проверить совпадение со стоп-листом…</translation>
    </message>
    <message>
        <source>&amp;Admin</source>
        <translation>&amp;Администрирование</translation>
    </message>
    <message>
        <source>Accounts…</source>
        <translation>Учётные записи…</translation>
    </message>
    <message>
        <source>Enrol person…</source>
        <translation>Внести человека в стоп-лист…</translation>
    </message>
    <message>
        <source>Watchlist matching per site</source>
        <translation>Сверка со стоп-листом по объектам</translation>
    </message>
    <message>
        <source>Audit log…</source>
        <translation>Журнал аудита…</translation>
    </message>
    <message>
        <source>&amp;Session</source>
        <translation>&amp;Сеанс</translation>
    </message>
    <message>
        <source>Lock / switch user</source>
        <translation>Заблокировать / сменить пользователя</translation>
    </message>
    <message>
        <source>Change my password…</source>
        <translation>Сменить мой пароль…</translation>
    </message>
    <message>
        <source>Exported to {folder}</source>
        <translation>Экспортировано в {folder}</translation>
    </message>
    <message>
        <source>Select a watchlist match in the events list first.</source>
        <translation>Сначала выберите совпадение со стоп-листом в списке событий.</translation>
    </message>
    <message>
        <source>This match is not in the database yet; open it again in a moment.</source>
        <translation>Этого совпадения ещё нет в базе; откройте его снова через несколько секунд.</translation>
    </message>
    <message>
        <source>No sites yet</source>
        <translation>Объектов пока нет</translation>
    </message>
    <message>
        <source>Person enrolled (entry {iid}).</source>
        <translation>Человек внесён в стоп-лист (запись {iid}).</translation>
    </message>
    <message>
        <source>Watchlist matching {value} - site {site_id}</source>
        <translation>Сверка со стоп-листом: {value} — объект {site_id}</translation>
    </message>
    <message>
        <source>Reason (recorded in the audit log):</source>
        <translation>Причина (записывается в журнал аудита):</translation>
    </message>
    <message>
        <source>Watchlist matching {value} for site {site_id}.</source>
        <translation>Сверка со стоп-листом для объекта {site_id}: {value}.</translation>
    </message>
    <message>
        <source>The password of {user} was changed.</source>
        <translation>Пароль пользователя {user} изменён.</translation>
    </message>
    <message>
        <source>Vigil - audit log</source>
        <translation>Vigil — журнал аудита</translation>
    </message>
    <message>
        <source>Export the last 5 minutes…</source>
        <translation>Экспортировать последние 5 минут…</translation>
    </message>
    <message>
        <source>Maximise / restore</source>
        <translation>Развернуть / восстановить</translation>
    </message>
    <message>
        <source>Show the camera</source>
        <translation>Показать камеру</translation>
    </message>
    <message>
        <source>Play from 10 s before</source>
        <translation>Воспроизвести за 10 с до события</translation>
    </message>
    <message>
        <source>Export ±10 s…</source>
        <translation>Экспорт ±10 с…</translation>
    </message>
    <message>
        <source>Review match…</source>
        <translation>Проверить совпадение…</translation>
    </message>
</context>
<context>
    <name>SourceField</name>
    <message>
        <source>rtsp://user:password@host:554/stream, a video file, or a USB index</source>
        <translation>rtsp://пользователь:пароль@адрес:554/поток, видеофайл или номер USB-камеры</translation>
    </message>
</context>
<context>
    <name>StationGui</name>
    <message>
        <source>No screen {n}: this machine has {count} screen(s).</source>
        <translation>Нет экрана {n}: у этого компьютера экранов: {count}.</translation>
    </message>
    <message>
        <source>No cameras yet: open Cameras &gt; Manage cameras (Ctrl+M) to add one.</source>
        <translation>Камер пока нет: откройте «Камеры» &gt; «Камеры и объекты» (Ctrl+M), чтобы добавить камеру.</translation>
    </message>
    <message>
        <source>Mask analysis unavailable: {error}</source>
        <translation>Анализ масок недоступен: {error}</translation>
    </message>
    <message>
        <source>Event store: {error}</source>
        <translation>База событий: {error}</translation>
    </message>
</context>
<context>
    <name>StationList</name>
    <message>
        <source>Station</source>
        <translation>Станция</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Last heartbeat</source>
        <translation>Последний сигнал</translation>
    </message>
    <message>
        <source>Cameras live</source>
        <translation>Камер в работе</translation>
    </message>
    <message>
        <source>Backlog</source>
        <translation>Очередь</translation>
    </message>
    <message>
        <source>Events today</source>
        <translation>Событий сегодня</translation>
    </message>
    <message>
        <source>Double-click a mall to show only its compliance and events</source>
        <translation>Двойной щелчок по ТЦ — показать только его соблюдение масочного режима и события</translation>
    </message>
    <message>
        <source>Cannot read the roll-up database: %1</source>
        <translation>Не удаётся прочитать сводную базу: %1</translation>
    </message>
    <message>
        <source>online</source>
        <translation>в сети</translation>
    </message>
    <message>
        <source>silent</source>
        <translation>молчит</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>не в сети</translation>
    </message>
    <message>
        <source>never</source>
        <translation>никогда</translation>
    </message>
    <message>
        <source>%1 s ago</source>
        <translation>%1 с назад</translation>
    </message>
    <message>
        <source>%1 min ago</source>
        <translation>%1 мин назад</translation>
    </message>
    <message>
        <source>%1 h ago</source>
        <translation>%1 ч назад</translation>
    </message>
    <message>
        <source>%1 days ago</source>
        <translation>%1 дн. назад</translation>
    </message>
    <message>
        <source> (outbox full)</source>
        <translation> (очередь отправки заполнена)</translation>
    </message>
    <message>
        <source>%1 of %2 stations online</source>
        <translation>В сети станций: %1 из %2</translation>
    </message>
</context>
<context>
    <name>StationStatusBar</name>
    <message>
        <source>B</source>
        <translation>Б</translation>
    </message>
    <message>
        <source>KB</source>
        <translation>КБ</translation>
    </message>
    <message>
        <source>MB</source>
        <translation>МБ</translation>
    </message>
    <message>
        <source>GB</source>
        <translation>ГБ</translation>
    </message>
    <message>
        <source>Cameras {live}/{total} live</source>
        <translation>Камеры: в работе {live}/{total}</translation>
    </message>
    <message>
        <source>Analysis {0} fps</source>
        <translation>Анализ {0} кадр/с</translation>
    </message>
    <message>
        <source>Analysis {0} fps · scan {1}%/s</source>
        <translation>Анализ {0} кадр/с · поиск {1} %/с</translation>
    </message>
    <message>
        <source>Scan: share of each frame searched at tile resolution per second for small faces (mean over cameras); the CPU governor lowers it when the machine is busy</source>
        <translation>Поиск: доля каждого кадра, просматриваемая в секунду в разрешении ячейки в поисках мелких лиц (среднее по камерам); при высокой загрузке компьютера регулятор ЦП её снижает</translation>
    </message>
    <message>
        <source>CPU {cpu_percent:.0f}% · Vigil {cpu_percent2:.0f}%</source>
        <translation>ЦП {cpu_percent:.0f} % · Vigil {cpu_percent2:.0f} %</translation>
    </message>
    <message>
        <source>Memory {size_text}</source>
        <translation>Память {size_text}</translation>
    </message>
    <message>
        <source>Database {size_text}</source>
        <translation>База {size_text}</translation>
    </message>
    <message>
        <source>Database -</source>
        <translation>База -</translation>
    </message>
    <message>
        <source>Analysis restarted {0}×</source>
        <translation>Анализ перезапущен {0}×</translation>
    </message>
    <message>
        <source>Last at {0}: {1}</source>
        <translation>Последний раз в {0}: {1}</translation>
    </message>
    <message>
        <source>Analysis: {0}</source>
        <translation>Анализ: {0}</translation>
    </message>
</context>
<context>
    <name>StationTray</name>
    <message>
        <source>Hide to tray (recording and analysis continue)</source>
        <translation>Свернуть в трей (запись и анализ продолжаются)</translation>
    </message>
    <message>
        <source>Vigil: the station is running</source>
        <translation>Vigil: станция работает</translation>
    </message>
    <message>
        <source>Show the station</source>
        <translation>Показать станцию</translation>
    </message>
    <message>
        <source>Quit Vigil</source>
        <translation>Выйти из Vigil</translation>
    </message>
</context>
<context>
    <name>StationWindow</name>
    <message>
        <source>Wall</source>
        <translation>Видеостена</translation>
    </message>
    <message>
        <source>Compliance</source>
        <translation>Соблюдение</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>Камеры</translation>
    </message>
    <message>
        <source>Live events</source>
        <translation>События онлайн</translation>
    </message>
    <message>
        <source>{name} is offline: {value}</source>
        <translation>Камера {name} не в сети: {value}</translation>
    </message>
    <message>
        <source>no frames</source>
        <translation>нет кадров</translation>
    </message>
    <message>
        <source>{name} is back: {message}</source>
        <translation>Камера {name} снова в сети: {message}</translation>
    </message>
    <message>
        <source>Nothing to acknowledge.</source>
        <translation>Нечего подтверждать.</translation>
    </message>
    <message>
        <source>Could not record the acknowledgement: {exc}</source>
        <translation>Не удалось записать подтверждение: {exc}</translation>
    </message>
    <message>
        <source>Could not record the acknowledgement ({name}); see the log.</source>
        <translation>Не удалось записать подтверждение ({name}); подробности в журнале.</translation>
    </message>
    <message>
        <source>Vigil - {user} ({value})</source>
        <translation>Vigil — {user} ({value})</translation>
    </message>
    <message>
        <source>Logged in as {user} ({value}).</source>
        <translation>Вы вошли как {user} ({value}).</translation>
    </message>
    <message>
        <source>Settings not saved: {exc}</source>
        <translation>Настройки не сохранены: {exc}</translation>
    </message>
    <message>
        <source>Applying camera settings…</source>
        <translation>Применение настроек камер…</translation>
    </message>
    <message>
        <source>Camera settings not applied: {error}</source>
        <translation>Настройки камер не применены: {error}</translation>
    </message>
    <message>
        <source>Camera settings applied: {count} cameras running.</source>
        <translation>Настройки камер применены: работает камер: {count}.</translation>
    </message>
</context>
<context>
    <name>TimeBar</name>
    <message>
        <source>{kind} at {when} (double-click: play from 10 s before)</source>
        <translation>{kind}, {when} (двойной щелчок: воспроизвести за 10 с до события)</translation>
    </message>
    <message>
        <source>Evidence lock</source>
        <translation>Защита записи</translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation>Закладка</translation>
    </message>
</context>
<context>
    <name>TimelinePlot</name>
    <message>
        <source>compliance</source>
        <translation>соблюдение</translation>
    </message>
    <message>
        <source>visitors</source>
        <translation>посетители</translation>
    </message>
    <message>
        <source>{label} · {when}: offline (no camera live)</source>
        <translation>{label} · {when}: нет данных (ни одна камера не работала)</translation>
    </message>
    <message>
        <source>{label} · {when}: {compliance} · {masked} masked, {unmasked} unmasked, {incorrect} incorrect · undecided {undecided} (uncertain {uncertain}, no verdict {unknown}) · live {live} camera-min</source>
        <translation>{label} · {when}: {compliance} · в маске {masked}, без маски {unmasked}, маска неправильно {incorrect} · без решения {undecided} (не определено {uncertain}, без вердикта {unknown}) · в работе {live} камеро-мин</translation>
    </message>
</context>
<context>
    <name>UserError</name>
    <message>
        <source>disabled</source>
        <translation>отключена</translation>
    </message>
    <message>
        <source>locked until {until}</source>
        <translation>заблокирована до {until}</translation>
    </message>
    <message>
        <source>active, 1 failed login</source>
        <translation>активна, 1 неудачный вход</translation>
    </message>
    <message>
        <source>active, {count} failed logins</source>
        <translation>активна, неудачных входов: {count}</translation>
    </message>
    <message>
        <source>active</source>
        <translation>активна</translation>
    </message>
    <message>
        <source>invalid user name {name!r}: use 1-64 letters, digits, &apos;.&apos;, &apos;_&apos;, &apos;-&apos; or &apos;@&apos;, starting with a letter or digit</source>
        <translation>недопустимое имя пользователя {name!r}: используйте 1–64 латинские буквы, цифры, «.», «_», «-» или «@», начиная с буквы или цифры</translation>
    </message>
    <message>
        <source>password refused: {reason}</source>
        <translation>пароль не принят: {reason}</translation>
    </message>
    <message>
        <source>accounts already exist; log in as an admin to add more</source>
        <translation>учётные записи уже есть; чтобы добавить новые, войдите как администратор</translation>
    </message>
    <message>
        <source>the account {name} already exists; choose another name</source>
        <translation>учётная запись {name} уже существует; выберите другое имя</translation>
    </message>
    <message>
        <source>no account named {name}; see &apos;vigil users list&apos;</source>
        <translation>нет учётной записи {name}; см. &apos;vigil users list&apos;</translation>
    </message>
    <message>
        <source>the account {name} is already disabled</source>
        <translation>учётная запись {name} уже отключена</translation>
    </message>
    <message>
        <source>{name} is the last active admin; add another admin before disabling it</source>
        <translation>{name} — последний активный администратор; сначала добавьте другого администратора</translation>
    </message>
    <message>
        <source>{name} is your own account: you cannot disable yourself; ask another admin</source>
        <translation>{name} — ваша собственная учётная запись: себя отключить нельзя; обратитесь к другому администратору</translation>
    </message>
    <message>
        <source>the account {name} is already active</source>
        <translation>учётная запись {name} уже активна</translation>
    </message>
    <message>
        <source>the current password is wrong; the password was not changed</source>
        <translation>текущий пароль неверен; пароль не изменён</translation>
    </message>
    <message>
        <source>wrong user name or password</source>
        <translation>неверное имя пользователя или пароль</translation>
    </message>
    <message>
        <source>the account {name} is disabled; ask an admin</source>
        <translation>учётная запись {name} отключена; обратитесь к администратору</translation>
    </message>
    <message>
        <source>the account {name} is locked after {MAX_FAILURES} failed logins; try again in {minutes} min or ask an admin to reset the password</source>
        <translation>учётная запись {name} заблокирована после {MAX_FAILURES} неудачных попыток входа; повторите через {minutes} мин или попросите администратора сбросить пароль</translation>
    </message>
    <message>
        <source>wrong password; the account {name} is now locked for {minutes} min after {MAX_FAILURES} failures</source>
        <translation>неверный пароль; после {MAX_FAILURES} неудачных попыток учётная запись {name} заблокирована на {minutes} мин</translation>
    </message>
    <message>
        <source>wrong user name or password ({tries} tries left before lock-out)</source>
        <translation>неверное имя пользователя или пароль (до блокировки осталось попыток: {tries})</translation>
    </message>
    <message>
        <source>a password needs at least {MIN_LENGTH} characters</source>
        <translation>пароль должен содержать не менее {MIN_LENGTH} символов</translation>
    </message>
    <message>
        <source>a password must not start or end with spaces</source>
        <translation>пароль не должен начинаться или заканчиваться пробелом</translation>
    </message>
    <message>
        <source>log in first: {permission} needs an account</source>
        <translation>сначала войдите в систему: для действия {permission} нужна учётная запись</translation>
    </message>
    <message>
        <source>the session of {user} has expired (idle); log in again</source>
        <translation>сеанс пользователя {user} истёк из-за бездействия; войдите снова</translation>
    </message>
    <message>
        <source>the account {user} was disabled or removed; ask an admin</source>
        <translation>учётная запись {user} отключена или удалена; обратитесь к администратору</translation>
    </message>
    <message>
        <source>{user} ({role}) may not {permission}: it needs the {need} role; ask {article} {need} to do it</source>
        <translation>у пользователя {user} ({role}) нет права {permission}: нужна роль {need}; попросите пользователя с этой ролью</translation>
    </message>
</context>
<context>
    <name>UserTableModel</name>
    <message>
        <source>User</source>
        <translation>Пользователь</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Роль</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Last login</source>
        <translation>Последний вход</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Создана</translation>
    </message>
    <message>
        <source>{name}  (you)</source>
        <translation>{name}  (вы)</translation>
    </message>
    <message>
        <source> by {created_by}</source>
        <translation>, создал(а) {created_by}</translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <source>Vigil wall - {name}</source>
        <translation>Видеостена Vigil — {name}</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Вид</translation>
    </message>
    <message>
        <source>Layout {name}</source>
        <translation>Раскладка {name}</translation>
    </message>
    <message>
        <source>Layout 1+5 (big tile)</source>
        <translation>Раскладка 1+5 (большая ячейка)</translation>
    </message>
    <message>
        <source>Layout 1+7 (big tile)</source>
        <translation>Раскладка 1+7 (большая ячейка)</translation>
    </message>
    <message>
        <source>Next page of cameras</source>
        <translation>Следующая страница камер</translation>
    </message>
    <message>
        <source>Previous page of cameras</source>
        <translation>Предыдущая страница камер</translation>
    </message>
    <message>
        <source>Leave maximised tile / full screen</source>
        <translation>Выйти из развёрнутой ячейки / полноэкранного режима</translation>
    </message>
    <message>
        <source>Full screen</source>
        <translation>Во весь экран</translation>
    </message>
    <message>
        <source>Face boxes</source>
        <translation>Рамки лиц</translation>
    </message>
    <message>
        <source>Face labels (track, size, watchlist)</source>
        <translation>Подписи лиц (трек, размер, стоп-лист)</translation>
    </message>
    <message>
        <source>Camera name, fps and clock</source>
        <translation>Название камеры, кадр/с и часы</translation>
    </message>
    <message>
        <source>Carousel in the last tile</source>
        <translation>Карусель в последней ячейке</translation>
    </message>
    <message>
        <source>Compliance timeline / wall</source>
        <translation>График соблюдения / видеостена</translation>
    </message>
    <message>
        <source>&amp;Walls</source>
        <translation>Ви&amp;деостены</translation>
    </message>
    <message>
        <source>Open wall on screen</source>
        <translation>Открыть видеостену на экране</translation>
    </message>
    <message>
        <source>&amp;Cameras</source>
        <translation>&amp;Камеры</translation>
    </message>
    <message>
        <source>Manage cameras and sites…</source>
        <translation>Камеры и объекты…</translation>
    </message>
    <message>
        <source>&amp;Events</source>
        <translation>&amp;События</translation>
    </message>
    <message>
        <source>Acknowledge event</source>
        <translation>Подтвердить событие</translation>
    </message>
    <message>
        <source>Flash the tile on a new unmasked person</source>
        <translation>Мигать ячейкой при новом человеке без маски</translation>
    </message>
    <message>
        <source>Play a sound on a new unmasked person</source>
        <translation>Звуковой сигнал при новом человеке без маски</translation>
    </message>
    <message>
        <source>Wall</source>
        <translation>Видеостена</translation>
    </message>
    <message>
        <source>Wall layout (keys 1-7)</source>
        <translation>Раскладка видеостены (клавиши 1–7)</translation>
    </message>
    <message>
        <source>named layout</source>
        <translation>имя раскладки</translation>
    </message>
    <message>
        <source>Saved layouts: pick one to show it, or type a name and press Save layout</source>
        <translation>Сохранённые раскладки: выберите, чтобы показать, или введите имя и нажмите «Сохранить раскладку»</translation>
    </message>
    <message>
        <source>Save layout</source>
        <translation>Сохранить раскладку</translation>
    </message>
    <message>
        <source>Screen {n}: {name} ({width}x{height})</source>
        <translation>Экран {n}: {name} ({width}x{height})</translation>
    </message>
    <message>
        <source>Type a name for the layout first (in the layout box of the toolbar).</source>
        <translation>Сначала введите имя раскладки (в поле раскладки на панели инструментов).</translation>
    </message>
    <message>
        <source>Layout &apos;{name}&apos; saved.</source>
        <translation>Раскладка «{name}» сохранена.</translation>
    </message>
</context>
<context>
    <name>ZoneCanvas</name>
    <message>
        <source>Waiting for a frame from the camera…</source>
        <translation>Ожидание кадра с камеры…</translation>
    </message>
</context>
<context>
    <name>ZoneEditorDialog</name>
    <message>
        <source>Zones: %1</source>
        <translation>Зоны: %1</translation>
    </message>
    <message>
        <source>&amp;Exclusion zone (E)</source>
        <translation>Зона &amp;исключения (E)</translation>
    </message>
    <message>
        <source>Faces centred here are ignored: signs, posters, screens, staff desks.</source>
        <translation>Лица с центром здесь не учитываются: вывески, плакаты, экраны, стойки персонала.</translation>
    </message>
    <message>
        <source>&amp;Counting zone (C)</source>
        <translation>Зона &amp;подсчёта (C)</translation>
    </message>
    <message>
        <source>Only people seen inside it count for compliance; one per camera.</source>
        <translation>Для соблюдения учитываются только люди, замеченные внутри неё; одна на камеру.</translation>
    </message>
    <message>
        <source>&amp;Delete zone (Del)</source>
        <translation>&amp;Удалить зону (Del)</translation>
    </message>
    <message>
        <source>&amp;New frame (F5)</source>
        <translation>&amp;Новый кадр (F5)</translation>
    </message>
    <message>
        <source>Click to place points. Double-click or Enter closes the polygon; right-click or Backspace removes the last point; Esc drops it. Select a zone in the list and press Del to delete it.</source>
        <translation>Щелчком ставьте точки. Двойной щелчок или Enter замыкает многоугольник; правый щелчок или Backspace удаляет последнюю точку; Esc отменяет его. Чтобы удалить зону, выберите её в списке и нажмите Del.</translation>
    </message>
    <message>
        <source>Keep zones</source>
        <translation>Сохранить зоны</translation>
    </message>
    <message>
        <source>Draw</source>
        <translation>Рисовать</translation>
    </message>
    <message>
        <source>Zones of this camera</source>
        <translation>Зоны этой камеры</translation>
    </message>
    <message>
        <source>Reading a frame from the camera…</source>
        <translation>Чтение кадра с камеры…</translation>
    </message>
    <message>
        <source>Select a zone in the list first.</source>
        <translation>Сначала выберите зону в списке.</translation>
    </message>
    <message>
        <source>Close the polygon you are drawing (double-click or Enter) or drop it (Esc).</source>
        <translation>Замкните рисуемый многоугольник (двойной щелчок или Enter) или отмените его (Esc).</translation>
    </message>
    <message>
        <source>Frame from the camera, %1x%2</source>
        <translation>Кадр с камеры, %1x%2</translation>
    </message>
    <message>
        <source>%1 point(s): double-click or Enter to close</source>
        <translation>Точек: %1; двойной щелчок или Enter замыкает</translation>
    </message>
    <message>
        <source>exclusion</source>
        <translation>исключение</translation>
    </message>
    <message>
        <source>counting</source>
        <translation>подсчёт</translation>
    </message>
    <message>
        <source>%1. %2 · %3 pts · %4 %</source>
        <translation>%1. %2 · точек: %3 · %4 %</translation>
    </message>
    <message>
        <source>%1 % of the frame</source>
        <translation>%1 % кадра</translation>
    </message>
</context>
<context>
    <name>_Form</name>
    <message>
        <source>the two passwords differ; type the new password twice</source>
        <translation>пароли не совпадают; введите новый пароль дважды</translation>
    </message>
</context>
<context>
    <name>connection_probe</name>
    <message>
        <source>No source: enter a URL, a video file or a USB index.</source>
        <translation>Нет источника: введите адрес, видеофайл или номер USB-камеры.</translation>
    </message>
    <message>
        <source>File not found: {shown}</source>
        <translation>Файл не найден: {shown}</translation>
    </message>
    <message>
        <source>Cannot open {shown}: check the address, port and credentials.</source>
        <translation>Не удаётся открыть {shown}: проверьте адрес, порт, логин и пароль.</translation>
    </message>
    <message>
        <source>Opened {shown} but no frame arrived within the timeout.</source>
        <translation>Источник {shown} открыт, но кадр не пришёл за отведённое время.</translation>
    </message>
    <message>
        <source>Connected: {w}x{h}</source>
        <translation>Подключено: {w}x{h}</translation>
    </message>
    <message>
        <source>Cannot open {shown}: {exc}</source>
        <translation>Не удаётся открыть {shown}: {exc}</translation>
    </message>
    <message>
        <source>Cannot open {shown}: wrong user name or password.</source>
        <translation>Не удаётся открыть {shown}: неверное имя пользователя или пароль.</translation>
    </message>
    <message>
        <source>Cannot open {shown}: the camera needs a user name and password (rtsp://user:password@host/...).</source>
        <translation>Не удаётся открыть {shown}: камере нужны имя пользователя и пароль (rtsp://пользователь:пароль@адрес/...).</translation>
    </message>
    <message>
        <source>Cannot open {shown}: the camera forbids this user to watch the stream.</source>
        <translation>Не удаётся открыть {shown}: камера не разрешает этому пользователю смотреть поток.</translation>
    </message>
    <message>
        <source>Cannot open {shown}: stream not found on the camera; check the path.</source>
        <translation>Не удаётся открыть {shown}: поток на камере не найден; проверьте путь.</translation>
    </message>
    <message>
        <source>Cannot open {shown}: the camera refused the connection; check the address and port.</source>
        <translation>Не удаётся открыть {shown}: камера отклонила подключение; проверьте адрес и порт.</translation>
    </message>
    <message>
        <source>Cannot open {shown}: no answer from the camera; check the address and the network.</source>
        <translation>Не удаётся открыть {shown}: камера не отвечает; проверьте адрес и сеть.</translation>
    </message>
    <message>
        <source>Cannot open {shown}: host not found; check the address.</source>
        <translation>Не удаётся открыть {shown}: узел не найден; проверьте адрес.</translation>
    </message>
</context>
<context>
    <name>overlay</name>
    <message>
        <source>mask</source>
        <translation>маска</translation>
    </message>
    <message>
        <source>NO MASK</source>
        <translation>БЕЗ МАСКИ</translation>
    </message>
    <message>
        <source>incorrect</source>
        <translation>неправильно</translation>
    </message>
    <message>
        <source>uncertain</source>
        <translation>неясно</translation>
    </message>
</context>
<context>
    <name>source_field</name>
    <message>
        <source>File not found: {text}. Pick an existing video file or enter a camera URL.</source>
        <translation>Файл не найден: {text}. Выберите существующий видеофайл или введите адрес камеры.</translation>
    </message>
</context>
</TS>
