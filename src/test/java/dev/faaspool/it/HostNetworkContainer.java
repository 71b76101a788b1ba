package dev.faaspool.it;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A Testcontainers container on the host's network ({@code --network host}): what faas-pool's image
 * needs on an engine run with {@code --bridge=none}, where no bridge network exists to publish ports
 * from. Nothing is mapped there, so a port is reached as itself; {@link #getMappedPort} says so, and
 * wait strategies that ask for a mapped port ({@code Wait.forHttp(...).forPort(p)}) then probe
 * {@code getHost():p} (getHost is {@code TESTCONTAINERS_HOST_OVERRIDE}, localhost here).
 */
final class HostNetworkContainer extends GenericContainer<HostNetworkContainer> {
    HostNetworkContainer(String image) {
        super(DockerImageName.parse(image));
        withNetworkMode("host");
    }

    /** On the host's network a port is not mapped: it is the port itself. */
    @Override
    public Integer getMappedPort(int originalPort) {
        return originalPort;
    }
}
