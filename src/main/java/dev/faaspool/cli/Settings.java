package dev.faaspool.cli;

import dev.faaspool.admin.AdminAccess;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.log.LogSettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How one faas-pool process runs, validated: the functions and everything around them.
 *
 * @param dockerHost       the engine's address, or null for {@code DOCKER_HOST} or the default socket
 * @param admin            the address of the admin endpoint
 * @param drain            how long shutdown waits for running requests
 * @param startConcurrency how many containers may be created and started at once
 * @param adminAccess      who may read the admin endpoint (its token, if any; allowed on {@code admin})
 * @param logs             where the functions' logs go, {@code <function>.log} each
 * @param logHandlers      whether the functions' lines also go to faas-pool's own output
 * @param logging          faas-pool's own log and the request log
 * @param agent            where HAProxy's agent-check is answered, or null for nowhere
 * @param drainDelay       how long shutdown first reports draining (agent, {@code /readyz}) while still serving
 * @param otlpEndpoint     the OTLP/HTTP traces endpoint each request's span is exported to, or null: tracing off
 * @param traceSample      the share of traces starting here that are recorded, 0..1 (a caller's sampled flag wins)
 */
public record Settings(
        PoolConfig config,
        String instance,
        Path runRoot,
        Path reports,
        Duration reportInterval,
        String dockerHost,
        InetSocketAddress admin,
        Duration drain,
        int startConcurrency,
        AdminAccess adminAccess,
        Path logs,
        boolean logHandlers,
        LogSettings logging,
        InetSocketAddress agent,
        Duration drainDelay,
        URI otlpEndpoint,
        double traceSample) {}
