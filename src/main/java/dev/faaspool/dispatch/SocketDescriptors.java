package dev.faaspool.dispatch;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SocketChannel;

/**
 * The {@link FileDescriptor} of an NIO socket, which is what junixsocket sends with {@code SCM_RIGHTS}.
 *
 * <p>The JDK keeps it behind {@code sun.nio.ch.SelChImpl#getFD()}: the JVM must run with
 * {@code --add-exports=java.base/sun.nio.ch=ALL-UNNAMED} (the executable jar's manifest says
 * {@code Add-Exports: java.base/sun.nio.ch}). NIO rather than {@code java.net.Socket}: closing an
 * NIO socket closes only this process's descriptor, while a classic socket also shuts the connection
 * down, sending FIN under the handler's feet.
 */
public final class SocketDescriptors {
    private static final MethodHandle GET_FD = find("getFD", FileDescriptor.class);
    private static final MethodHandle GET_FD_VAL = find("getFDVal", int.class);

    private SocketDescriptors() {}

    private static MethodHandle find(String name, Class<?> type) {
        try {
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            return MethodHandles.lookup().findVirtual(selCh, name, MethodType.methodType(type));
        } catch (ReflectiveOperationException | IllegalAccessError | SecurityException e) {
            return null;
        }
    }

    /**
     * Fails at start-up, with what to do, when descriptors cannot be read from NIO sockets.
     *
     * @throws IllegalStateException naming the missing JVM option
     */
    public static void check() {
        if (GET_FD == null || GET_FD_VAL == null) {
            throw new IllegalStateException("faas-pool needs the JVM option --add-exports=java.base/sun.nio.ch=ALL-UNNAMED"
                    + " (java -jar faas-pool.jar carries it in its manifest)");
        }
    }

    /** The descriptor of {@code channel}, owned by the channel: do not close it. */
    public static FileDescriptor of(SocketChannel channel) {
        check();
        try {
            return (FileDescriptor) GET_FD.invoke(channel);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read the descriptor of " + channel, t);
        }
    }

    /** The number of {@code channel}'s descriptor, for system calls; -1 once the channel is closed. */
    public static int fdVal(java.nio.channels.spi.AbstractSelectableChannel channel) {
        check();
        try {
            return (int) GET_FD_VAL.invoke(channel);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read the descriptor of " + channel, t);
        }
    }
}
