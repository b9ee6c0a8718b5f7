-- Rows as osTicket 1.18 writes them: its default statuses, priorities and events, a
-- small Dunder Mifflin desk with non-ASCII names, HTML bodies (some hostile), a PNG stored
-- in two chunks, a text file in one, a file on disk (bk 'F'), thread entries M, R and N,
-- and rows the importer must skip (a user without an address, a deleted ticket).
SET NAMES utf8mb4;
INSERT INTO ost_config (namespace, `key`, value) VALUES
  ('core', 'default_timezone', 'America/New_York'),
  ('core', 'default_dept_id', '1'),
  ('schedule.1', 'configuration', '{"holidays":[2]}');

INSERT INTO ost_event (id, name) VALUES (1,'created'),(2,'closed'),(3,'reopened'),
  (4,'assigned'),(5,'released'),(6,'transferred'),(7,'referred'),(8,'overdue'),(9,'edited'),
  (10,'viewed'),(11,'error'),(12,'collab'),(13,'resent'),(14,'deleted'),(15,'merged'),
  (16,'unlinked'),(17,'linked'),(18,'login'),(19,'logout'),(20,'message'),(21,'note');

INSERT INTO ost_ticket_status (id, name, state, mode, flags, sort, properties, created, updated) VALUES
  (1,'Open','open',3,0,1,'{}','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,'Resolved','closed',1,0,2,'{}','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,'Closed','closed',3,0,3,'{}','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (4,'Archived','archived',3,0,4,'{}','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (5,'Deleted','deleted',3,0,5,'{}','2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_ticket_priority VALUES (1,'low','Low','#DDFFDD',4,1),(2,'normal','Normal','#FFFFF0',3,1),
  (3,'high','High','#FEE7E7',2,1),(4,'emergency','Emergency','#FEE7E7',1,1);

INSERT INTO ost_schedule VALUES
  (1,1,'Scranton office hours',NULL,'','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,0,'Holidays',NULL,'','2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_schedule_entry VALUES
  (1,1,0,0,'Monday','weekly','2019-01-07','09:00:00','2019-01-07','17:00:00',NULL,1,NULL,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,0,0,'Tuesday','weekly','2019-01-08','09:00:00','2019-01-08','17:00:00',NULL,2,NULL,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,1,0,0,'Wednesday','weekly','2019-01-09','09:00:00','2019-01-09','17:00:00',NULL,3,NULL,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (4,1,0,0,'Thursday','weekly','2019-01-10','09:00:00','2019-01-10','17:00:00',NULL,4,NULL,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (5,1,0,0,'Friday','weekly','2019-01-11','09:00:00','2019-01-11','17:00:00',NULL,5,NULL,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (6,2,0,0,'Christmas Day','yearly','2019-12-25','00:00:00','2019-12-25','23:59:59',NULL,25,NULL,12,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (7,2,0,0,'Thanksgiving Day','yearly','2019-11-28','00:00:00','2019-11-28','23:59:59',NULL,4,4,11,'2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_sla (id, schedule_id, flags, grace_period, name, notes, created, updated) VALUES
  (1,0,3,18,'Default SLA',NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,3,8,'Business hours',NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_department (id, pid, sla_id, manager_id, flags, name, signature, path, created, updated) VALUES
  (1,NULL,2,1,4,'IT','IT','/1/','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,NULL,1,0,4,'Accounting','','/2/','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,NULL,0,0,4,'Ventes & Comptabilité','','/3/','2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_help_topic (topic_id, topic_pid, flags, priority_id, dept_id, sla_id, topic, created, updated) VALUES
  (1,0,2,3,1,2,'Computer problem','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,0,2,2,2,0,'Billing','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,1,0,1,1,0,'Printer','2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_staff (staff_id, dept_id, role_id, username, firstname, lastname, passwd, email, signature, isactive, isadmin, created, updated) VALUES
  (1,1,1,'kevin','Kevin','Benavides','$2a$08$5NCsRUrScvtOuWhV6xIkMuxIsdut54pMFtAOGGiZeLMvKiyouYwh2','kevin.benavides@dundermifflin.example','',1,1,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,2,'ryan','Ryan','Howard','$2y$08$v6HHObYPE6IaPoBt4cVyAe6AD3Njx4JZVdOPbfuwQiHBTo.avsqKy','ryan.howard@dundermifflin.example','',1,0,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,2,2,'jose','José','Müller','5f4dcc3b5aa765d61d8327deb882cf99','jose.muller@dundermifflin.example','',1,0,'2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_staff_dept_access VALUES (2,2,2,1);

INSERT INTO ost_user (id, org_id, default_email_id, status, name, created, updated) VALUES
  (1,1,1,0,'Jim Halpert','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,2,0,'Kevin Malone','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,9,3,0,'Angela Martin','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (4,2,4,0,'Zoë Ångström','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (5,0,5,0,'<script>alert(1)</script>','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (6,0,0,0,'Nobody at all','2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_user_email (id, user_id, flags, address) VALUES
  (1,1,0,'jim.halpert@dundermifflin.example'),
  (2,2,0,'kevin.malone@dundermifflin.example'),
  (3,3,0,'angela.martin@dundermifflin.example'),
  (4,4,0,'zoe@dundermifflin.example'),
  (5,5,0,'hostile@dundermifflin.example');
INSERT INTO ost_user_account (id, user_id, status, timezone, username, passwd, registered) VALUES
  (1,1,0,'America/New_York',NULL,'$2y$08$v6HHObYPE6IaPoBt4cVyAe6AD3Njx4JZVdOPbfuwQiHBTo.avsqKy','2024-03-04 10:00:00');

INSERT INTO ost_ticket (ticket_id, number, user_id, status_id, dept_id, sla_id, topic_id, staff_id, source, closed, created, updated) VALUES
  (1,'100123',1,1,1,2,1,2,'Email',NULL,'2024-03-04 10:00:00','2024-03-05 11:00:00'),
  (2,'100124',2,3,2,1,2,0,'Web','2024-03-06 09:00:00','2024-03-04 12:00:00','2024-03-06 09:00:00'),
  (3,'100125',3,2,1,2,1,1,'Phone','2024-03-05 16:00:00','2024-03-05 10:00:00','2024-03-05 16:00:00'),
  (4,'100126',6,1,1,0,0,0,'Web',NULL,'2024-03-05 10:00:00','2024-03-05 10:00:00'),
  (5,'100127',1,5,1,0,0,0,'Web',NULL,'2024-03-05 10:00:00','2024-03-05 10:00:00');
INSERT INTO ost_ticket__cdata VALUES
  (1,'CRM is down — Café ☕','3'),(2,'Expense report','2'),(3,'Monitor flickering','1'),
  (4,'No requester','2'),(5,'Deleted ticket','2');

INSERT INTO ost_thread (id, object_id, object_type, created) VALUES
  (1,1,'T','2024-03-04 10:00:00'),(2,2,'T','2024-03-04 10:00:00'),(3,3,'T','2024-03-04 10:00:00'),(4,4,'T','2024-03-04 10:00:00'),(5,5,'T','2024-03-04 10:00:00');
INSERT INTO ost_thread_entry (id, thread_id, staff_id, user_id, type, poster, source, title, body, format, created, updated) VALUES
  (1,1,0,1,'M','Jim Halpert','Email','CRM is down','<p>The CRM is down since <b>9am</b> — «ça ne marche pas» 日本語.</p><p><img src="cid:pngkey000000000000000000000001" alt="screen"></p><script>alert(1)</script>','html','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,2,0,'R','Ryan Howard','','','<p>Looking into it.</p>','html','2024-03-04 13:00:00','2024-03-04 13:00:00'),
  (3,1,1,0,'N','Kevin Benavides','','Internal','<img src=x onerror=alert(1)><p>Server room again.</p>','html','2024-03-04 14:00:00','2024-03-04 14:00:00'),
  (4,1,0,4,'M','Zoë Ångström','Web','','<p>Same here <a href="javascript:alert(1)">click</a></p>','html','2024-03-05 11:00:00','2024-03-05 11:00:00'),
  (5,2,0,2,'M','Kevin Malone','Web','','Please approve my expense report.','text','2024-03-04 12:00:00','2024-03-04 12:00:00'),
  (6,2,3,0,'R','José Müller','','','<p>Approved.</p>','html','2024-03-05 12:00:00','2024-03-05 12:00:00'),
  (7,3,0,3,'M','Angela Martin','Phone','','<p>My monitor flickers.</p>','html','2024-03-05 10:00:00','2024-03-05 10:00:00'),
  (8,3,1,0,'R','Kevin Benavides','','','<p>Replaced the cable.</p>','html','2024-03-05 15:00:00','2024-03-05 15:00:00'),
  (9,4,0,6,'M','Nobody at all','Web','','<p>Who am I?</p>','html','2024-03-05 10:00:00','2024-03-05 10:00:00'),
  (10,5,0,1,'M','Jim Halpert','Web','','<p>Gone.</p>','html','2024-03-05 10:00:00','2024-03-05 10:00:00');

INSERT INTO ost_file (id, ft, bk, type, size, `key`, signature, name, created) VALUES
  (1,'T','D','image/png',69,'pngkey000000000000000000000001','sig1','screen shot.png','2024-03-04 10:00:00'),
  (2,'T','D','text/plain',52,'txtkey000000000000000000000002','sig2','notes ünïcödé.txt','2024-03-04 10:00:00'),
  (3,'T','F','text/plain',0,'fsKEYonDisk0000000000000000003','sig3','on disk.txt','2024-03-04 10:00:00');
INSERT INTO ost_file_chunk VALUES
  (1,0,X'89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de00'),
  (1,1,X'00000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082'),
  (2,0,X'6f735469636b6574206174746163686d656e743a20c3bc6ec3af63c3b664c3a92062797465730d0a7365636f6e64206c696e650a');
INSERT INTO ost_attachment (id, object_id, type, file_id, inline) VALUES
  (1,1,'H',1,1),(2,1,'H',2,0),(3,5,'H',3,0);

INSERT INTO ost_thread_event (id, thread_id, thread_type, event_id, staff_id, team_id, dept_id, topic_id, username, uid, uid_type, timestamp) VALUES
  (1,1,'T',1,0,0,1,1,'Jim Halpert',1,'U','2024-03-04 10:00:00'),
  (2,1,'T',4,2,0,1,1,'kevin',1,'S','2024-03-04 10:30:00'),
  (3,1,'T',10,0,0,1,1,'ryan',2,'S','2024-03-04 10:40:00'),
  (4,2,'T',1,0,0,2,2,'Kevin Malone',2,'U','2024-03-04 12:00:00'),
  (5,2,'T',2,0,0,2,2,'jose',3,'S','2024-03-06 09:00:00');
INSERT INTO ost_thread_collaborator (id, flags, thread_id, user_id, role, created, updated) VALUES
  (1,1,1,4,'M','2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_api_key (id, isactive, ipaddr, apikey, can_create_tickets, can_exec_cron, notes, created, updated) VALUES
  (1,1,'127.0.0.1','A1B2C3D4E5F60718293A4B5C6D7E8F90',1,1,'the monitoring script','2024-03-04 10:00:00','2024-03-04 10:00:00');

INSERT INTO ost_canned_response (canned_id, dept_id, isenabled, title, response, created, updated) VALUES
  (1,1,1,'Restart first','<p>Have you tried <b>turning it off</b> and on again?</p>','2024-03-04 10:00:00','2024-03-04 10:00:00');

-- Organizations: users 1 and 2 are at Dunder Mifflin, 4 at Vance; user 3 names an
-- organization (9) that is not there.
INSERT INTO ost_organization (id, name, manager, status, domain, extra, created, updated) VALUES
  (1,'Dunder Mifflin','',0,'dundermifflin.example',NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,'Vance Réfrigération','',0,'vance.example, vancerefrigeration.example',NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,'<script>alert(1)</script> Park','',0,'not a domain',NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_organization__cdata (org_id, name, address, phone, website, notes) VALUES
  (1,'Dunder Mifflin','1725 Slough Avenue, Scranton','570-555-0100','https://dundermifflin.example','<p>Paper, <b>and</b> more.</p>');

-- The knowledge base: Hardware > Monitors (1.17's category_pid), and an internal category.
INSERT INTO ost_faq_category (category_id, category_pid, ispublic, name, description, notes, created, updated) VALUES
  (1,NULL,1,'Hardware','<p>Printers, monitors &amp; computers</p>','','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,1,'Monitors','Screens','','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,NULL,0,'Procédures internes','For agents','','2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_faq (faq_id, category_id, ispublished, question, answer, keywords, notes, created, updated) VALUES
  (1,2,1,'My monitor flickers','<p>Check the <b>cable</b> — «vérifiez».</p><script>alert(1)</script><img src=x onerror=alert(1)><p><a href="javascript:alert(1)">click</a> or <a href="https://example.com/help">the manual</a></p><ul><li>Unplug it</li><li>Plug it back</li></ul>','monitor flicker','Written after ticket 100125','2024-03-05 17:00:00','2024-03-06 09:30:00'),
  (2,1,0,'Printer jams','<p>Open tray 2.</p>',NULL,NULL,'2024-03-05 17:00:00','2024-03-05 17:00:00'),
  (3,3,1,'Resetting a password','<h2>In the console</h2><p>Use <code>reset-pw</code>.</p>','','','2024-03-05 17:00:00','2024-03-05 17:00:00');
INSERT INTO ost_faq_topic (faq_id, topic_id) VALUES (1,1),(1,3),(2,3);
INSERT INTO ost_attachment (id, object_id, type, file_id, inline) VALUES (4,1,'F',2,0);

-- Forms: the ticket form (type T: subject, message, priority are core fields, floor is
-- not), the user form (U: the person's own), and a Hardware form for the Computer problem
-- topic with one field of each type, an unknown type and a section break.
INSERT INTO ost_form (id, pid, type, flags, title, instructions, name, notes, created, updated) VALUES
  (1,NULL,'T',1,'Ticket Details','','','','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,NULL,'U',1,'Contact Information','','','','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,NULL,'G',1,'Hardware details','','','','2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_list_items (id, list_id, status, value, sort) VALUES
  (1,1,1,'Scranton',1),(2,1,1,'Stamford',2);
INSERT INTO ost_form_field (id, form_id, flags, type, label, name, configuration, sort, hint, created, updated) VALUES
  (1,1,14081,'text','Issue Summary','subject',NULL,1,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,1,14081,'thread','Issue Details','message',NULL,2,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,1,12289,'priority','Priority Level','priority',NULL,3,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (4,1,12545,'text','Floor','floor',NULL,4,'Which floor are you on?','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (5,2,14081,'text','Email Address','email',NULL,1,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (6,2,14081,'text','Full Name','name',NULL,2,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (10,3,14081,'text','Asset tag','asset_tag','{"size":16,"length":30}',1,'On the sticker','2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (11,3,12545,'datetime','Bought on','bought','{"time":false}',2,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (12,3,12545,'choices','Kind of computer','Kind','{"choices":"desk:Desktop\\nlap:Laptop\\ntab:Tablet","multiselect":false}',3,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (13,3,12545,'bool','Under warranty','under_warranty',NULL,4,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (14,3,12545,'choices','Extras','extras','{"choices":"mouse:Mouse\\nkbd:Keyboard","multiselect":true}',5,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (15,3,12293,'memo','Notes for agents','agent_notes',NULL,6,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (16,3,12545,'gizmo-plugin','Gizmo','gizmo',NULL,7,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (17,3,12545,'break','More','',NULL,8,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (18,3,12545,'list-1','Office','',NULL,9,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (19,3,12545,'phone','Call back on','callback',NULL,10,NULL,'2024-03-04 10:00:00','2024-03-04 10:00:00');
INSERT INTO ost_help_topic_form (id, topic_id, form_id, sort, extra) VALUES
  (1,1,1,1,NULL),(2,1,3,2,NULL),(3,2,1,1,NULL);
INSERT INTO ost_form_entry (id, form_id, object_id, object_type, sort, created, updated) VALUES
  (1,1,1,'T',1,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (2,3,1,'T',2,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (3,2,1,'U',1,'2024-03-04 10:00:00','2024-03-04 10:00:00'),
  (4,1,2,'T',1,'2024-03-04 12:00:00','2024-03-04 12:00:00');
INSERT INTO ost_form_entry_values (entry_id, field_id, value, value_id) VALUES
  (1,1,'CRM is down — Café ☕',NULL),(1,3,'High',3),(1,4,'3rd floor',NULL),
  (2,10,'DM-0042 <script>alert(1)</script>',NULL),(2,11,'2023-05-17 00:00:00',NULL),
  (2,12,'{"lap":"Laptop"}',NULL),(2,13,'1',NULL),(2,14,'{"mouse":"Mouse","kbd":"Keyboard"}',NULL),
  (2,15,'Warranty ends soon',NULL),(2,16,'whatever it is',NULL),(2,18,'{"1":"Scranton"}',1),
  (2,19,'570-555-0199',NULL),
  (3,5,'jim.halpert@dundermifflin.example',NULL),(3,6,'Jim Halpert',NULL),
  (4,4,'',NULL);
