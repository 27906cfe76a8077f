# Fault injection and secrets (issue 7), each against its own moto_server.
# faults runs alone: it mounts small tmpfs file systems and times a database lock.
ia_moto_test(faults SERIAL)
ia_moto_test(secrets)
