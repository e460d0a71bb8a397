// zmdev convert: one vfio-ap mdev definition from one tool's format into another's.
import { CONVERT_FORMATS, detectFormat, readConvertible, uuidFor, writeConvertible, type ConvertFormat } from '../../apply/convert.js';
import { readRegularFile } from '../../files/atomic.js';
import { command } from '../declare.js';

const FROM = ['mdevctl', 'nodedev', 'state'] as const;

export const convertCmd = command({
  words: ['convert'],
  summary: 'convert an mdev definition between mdevctl, libvirt node-device XML and a zmdev-desired/1 file',
  args: [{ name: 'FILE', help: 'the definition: an mdevctl file, node-device XML (either form), or a zmdev-desired/1 file with one mdev' }],
  options: {
    to: { type: 'string', value: 'FORMAT', required: true, choices: CONVERT_FORMATS, help: `mdevctl         mdevctl's definition file (/etc/mdevctl.d/matrix/<uuid>), its bytes
nodedev         the node-device XML nodedev-dumpxml prints for a defined device
nodedev-define  the define form virsh nodedev-define takes (no <name>: libvirt's
                schema, and so virt-xml-validate, refuses it; virsh reads it)
state           a zmdev-desired/1 file with this one mdev (zmdev apply)` },
    from: { type: 'string', value: 'FORMAT', choices: FROM, help: 'the input format (default: detected; nodedev reads both XML forms)' },
    uuid: { type: 'uuid', value: 'U', help: "the mdev's UUID, where the input has none (an mdevctl file's name is taken when it is one)" },
  },
  json: 'print {"from", "to", "uuid", "output"}',
  description: `Reads FILE and prints the same definition in the other format. mdevctl to mdevctl is mdevctl's own
normalization (any layout in, its bytes out). The start policy travels between mdevctl and state
files; node-device XML has none (libvirt keeps autostart apart), so a definition read from XML
starts manually. A UUID from --uuid and one in the file must agree.`,
  examples: ['zmdev convert my_ap_mdev.xml --to mdevctl', 'zmdev convert /etc/mdevctl.d/matrix/4b0518fd-9237-493f-93c8-c5597f8006a3 --to nodedev-define'],
  run({ args, opts }) {
    const text = readRegularFile(args.FILE);
    const from = (opts.from as (typeof FROM)[number] | undefined) ?? detectFormat(text, args.FILE);
    const read = readConvertible(text, from, args.FILE);
    const uuid = uuidFor(opts.uuid, args.FILE, read.uuid);
    const output = writeConvertible({ ...read, uuid }, opts.to as ConvertFormat, args.FILE);
    // Exactly the target's bytes (mdevctl's file has no final newline), so `> FILE` writes that file.
    return { json: { from, to: opts.to, uuid, output }, text: output };
  },
});
