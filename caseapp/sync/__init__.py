"""The sync protocol (SYNC.md), shared by the devices and the server: keys, certificates,
the signed and encrypted change envelope, request signing, and the client over HTTPS.
Nothing here touches a vault; the services do."""
