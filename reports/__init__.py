"""Reports: the figures behind the dashboard (reports/figures), computed live from the SLA
clocks, the thread and the structured events. Pure reads: nothing here changes a ticket.

Above tickets (whose sets of tickets, tickets/selectors/measures.py, both the figures and
the queue use), beside mail and webhooks, below the desk that shows them.
"""
