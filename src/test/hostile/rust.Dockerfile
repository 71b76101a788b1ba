# The adversarial test handler on the Rust init (runtime-init/variants/rust) in place of the C one, as
# faas-runtime:slim would carry it: RustIsolationIT runs IsolationIT against it. Built by build.sh.
FROM scratch
COPY faas-init-rust /faas-init
COPY hostile /hostile
ENTRYPOINT ["/faas-init"]
CMD ["/hostile"]
