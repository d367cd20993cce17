import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Two facts read straight from class files, without a bytecode library:
 * - `rename`: every occurrence of some ASCII names in the constant pool's UTF-8 entries replaced (a class
 *   compiled under a temporary name, `GCD__rc3__`, becomes `GCD` again: its own name, its descriptors,
 *   signatures, nest and inner-class entries and its source file name all live in those entries);
 * - `shape`: what other classes compiled against this one depend on (super types, and every non-private
 *   field's and method's access, name and descriptor, with a constant field's value, since javac inlines it). Two
 *   versions of a class with the same shape leave every other class's bytecode as it was.
 */
public final class RepairClassFiles {
    private RepairClassFiles() {
    }

    private static final int UTF8 = 1;

    /** One constant pool entry: its tag and raw bytes (for UTF-8, the string's bytes only). */
    private static final class Entry {
        final int tag;
        byte[] raw;

        Entry(int tag, byte[] raw) {
            this.tag = tag;
            this.raw = raw;
        }
    }

    private static final class Parsed {
        final byte[] head = new byte[8];
        final List<Entry> pool = new ArrayList<>();  // index 0 unused; the second slot of a long/double is null
        byte[] rest;
    }

    private static Parsed parse(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        Parsed p = new Parsed();
        in.readFully(p.head);
        int count = in.readUnsignedShort();
        p.pool.add(null);
        for (int k = 1; k < count; k++) {
            int tag = in.readUnsignedByte();
            int size;
            switch (tag) {
                case UTF8: size = in.readUnsignedShort(); break;
                case 3: case 4: size = 4; break;            // Integer, Float
                case 5: case 6: size = 8; break;            // Long, Double
                case 7: case 8: case 16: case 19: case 20: size = 2; break;  // Class, String, MethodType, Module, Package
                case 9: case 10: case 11: case 12: case 17: case 18: size = 4; break;  // refs, NameAndType, (Invoke)Dynamic
                case 15: size = 3; break;                   // MethodHandle
                default: throw new IOException("unknown constant pool tag " + tag);
            }
            byte[] raw = new byte[size];
            in.readFully(raw);
            p.pool.add(new Entry(tag, raw));
            if (tag == 5 || tag == 6) {
                p.pool.add(null);
                k++;
            }
        }
        p.rest = in.readAllBytes();
        return p;
    }

    /** `bytes` with every (from -> to) replacement applied inside the constant pool's UTF-8 entries. */
    static byte[] rename(byte[] bytes, Map<String, String> replacements) throws IOException {
        Parsed p = parse(bytes);
        for (Entry e : p.pool) {
            if (e == null || e.tag != UTF8) continue;
            // Modified UTF-8 never puts an ASCII byte inside a multi-byte character, so an ASCII name can be
            // replaced byte-wise (ISO-8859-1 maps each byte to one char and back).
            String text = new String(e.raw, StandardCharsets.ISO_8859_1);
            String out = text;
            for (Map.Entry<String, String> r : replacements.entrySet()) out = out.replace(r.getKey(), r.getValue());
            if (!out.equals(text)) e.raw = out.getBytes(StandardCharsets.ISO_8859_1);
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(bytes.length);
        DataOutputStream w = new DataOutputStream(buffer);
        w.write(p.head);
        w.writeShort(p.pool.size());
        for (Entry e : p.pool) {
            if (e == null) continue;
            w.writeByte(e.tag);
            if (e.tag == UTF8) w.writeShort(e.raw.length);
            w.write(e.raw);
        }
        w.write(p.rest);
        w.flush();
        return buffer.toByteArray();
    }

    /** What the class offers to other classes, as one comparable text. */
    static String shape(byte[] bytes) throws IOException {
        Parsed p = parse(bytes);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(p.rest));
        StringBuilder b = new StringBuilder();
        int access = in.readUnsignedShort();
        b.append("class ").append(access).append(' ').append(className(p, in.readUnsignedShort()));
        b.append(" extends ").append(className(p, in.readUnsignedShort()));
        int interfaces = in.readUnsignedShort();
        for (int k = 0; k < interfaces; k++) b.append(" implements ").append(className(p, in.readUnsignedShort()));
        b.append('\n');
        List<String> members = new ArrayList<>();
        for (String kind : new String[] {"field", "method"}) {
            int count = in.readUnsignedShort();
            for (int k = 0; k < count; k++) {
                int flags = in.readUnsignedShort();
                String name = utf8(p, in.readUnsignedShort());
                String desc = utf8(p, in.readUnsignedShort());
                StringBuilder m = new StringBuilder(kind).append(' ').append(flags).append(' ').append(name)
                        .append(' ').append(desc);
                int attributes = in.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    String attribute = utf8(p, in.readUnsignedShort());
                    byte[] body = new byte[in.readInt()];
                    in.readFully(body);
                    if (attribute.equals("ConstantValue")) {
                        int index = ((body[0] & 0xff) << 8) | (body[1] & 0xff);
                        Entry value = p.pool.get(index);
                        m.append(" = ").append(value.tag).append(':');
                        byte[] raw = value.tag == 8 ? p.pool.get(((value.raw[0] & 0xff) << 8) | (value.raw[1] & 0xff)).raw
                                : value.raw;
                        for (byte x : raw) m.append(String.format("%02x", x));
                    }
                }
                // Private and synthetic members are reached from this class's own nest only, which is compiled with it.
                if ((flags & 0x1002) == 0) members.add(m.toString());
            }
        }
        Collections.sort(members);
        for (String m : members) b.append(m).append('\n');
        return b.toString();
    }

    private static String utf8(Parsed p, int index) {
        return new String(p.pool.get(index).raw, StandardCharsets.UTF_8);
    }

    private static String className(Parsed p, int index) {
        if (index == 0) return "";
        Entry e = p.pool.get(index);
        return utf8(p, ((e.raw[0] & 0xff) << 8) | (e.raw[1] & 0xff));
    }
}
