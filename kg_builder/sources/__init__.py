"""The public e-commerce datasets in ../shared/data: `datasets` names each file once, the other modules read them
(each keeps file and line of every record)."""
