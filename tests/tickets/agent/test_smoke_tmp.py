from tickets.services import ticket_add_note, ticket_claim


def test_pages_render(desk, client_for):
    t = desk.ticket()
    ticket_claim(ticket=t, by=desk.agent.user)
    ticket_add_note(ticket=t, body="a note", by=desk.agent.user)
    c = client_for(desk.manager.user)
    for url in ["/agent/", "/agent/?view=mine", "/agent/?view=done&sort=priority", f"/agent/tickets/{t.number}/", "/agent/search/?q=crm", f"/agent/search/?q={t.number}"]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
    r = c.get("/agent/")
    assert b"CRM is down" in r.content
    r = c.get("/agent/search/?q=cr")
    assert b"CRM is down" in r.content, r.content.decode()[-3000:]
